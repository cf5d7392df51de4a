// The dashboard: a single page served by `pontoon up` at `/`, talking to the API through the typed
// client (src/client) and nothing else. Built by scripts/build-dashboard.mjs into dist/dashboard.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render, type ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentNamespace, setNamespace } from './api.js';
import { TokenForm } from './components/token-form.js';
import { href, useRoute, type Route } from './router.js';
import { ExecutionView } from './views/execution.js';
import { ExecutionsView } from './views/executions.js';
import { FunctionsView } from './views/functions.js';

const sections = [
  { path: 'functions', label: 'Functions' },
  { path: 'executions', label: 'Executions' },
  { path: 'charts', label: 'Charts' },
];

function NamespacePicker() {
  const [value, setValue] = useState(currentNamespace());
  return (
    <form
      class="namespace"
      onSubmit={(event) => {
        event.preventDefault();
        setNamespace(value.trim() || 'default');
        location.reload();
      }}
    >
      <label>
        Namespace
        <input name="namespace" value={value} size={12} onInput={(event) => setValue(event.currentTarget.value)} />
      </label>
    </form>
  );
}

/** The charts view, loaded when first shown: uPlot is a third of the code the other views never need. */
function LazyChartsView({ route }: { route: Route }) {
  const [View, setView] = useState<ComponentType<{ route: Route }> | undefined>(undefined);
  useEffect(() => {
    void import('./views/charts.js').then((module) => setView(() => module.ChartsView));
  }, []);
  return View ? <View route={route} /> : <p class="loading">Loading…</p>;
}

function App() {
  const route = useRoute();
  const [section = 'functions', id] = route.path;
  return (
    <>
      {/* A button, not a #main link: the hash holds the route. */}
      <button class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Pontoon</span>
        <nav aria-label="Sections">
          {sections.map((s) => (
            <a key={s.path} href={href(s.path)} aria-current={section === s.path ? 'page' : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <NamespacePicker />
      </header>
      <main id="main" tabIndex={-1}>
        {section === 'functions' && <FunctionsView />}
        {section === 'executions' && !id && <ExecutionsView route={route} />}
        {section === 'executions' && id && <ExecutionView key={id} id={id} />}
        {section === 'charts' && <LazyChartsView route={route} />}
      </main>
      <TokenForm />
    </>
  );
}

const root = document.getElementById('app')!;
// The page's static "Loading…" goes: render would keep it beside the app.
root.textContent = '';
render(<App />, root);

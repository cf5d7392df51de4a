// The same tests as local-containment.test.ts, with the observer hosts on the fallback (a child
// subreaper) although this machine may have cgroups. Each test file runs in a process of its own.
process.env.PONTOON_CONTAINMENT = 'subreaper';
await import('./local-containment.test.js');

import { diag, DiagLogLevel, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';

/** Where traces go: an OTLP/HTTP endpoint, or the exporter's own OTEL_EXPORTER_OTLP_* settings. */
export interface TracingSettings {
  /** The collector's base URL (`/v1/traces` is appended); absent: the OTEL_EXPORTER_OTLP_* variables decide. */
  endpoint?: string;
}

/**
 * Whether tracing is on, and where to: on with `--otlp-endpoint`, or when the environment names
 * an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or asks for
 * OTEL_TRACES_EXPORTER=otlp; off otherwise, and whenever OTEL_TRACES_EXPORTER=none or
 * OTEL_SDK_DISABLED=true. Off means no exporter, no spans and no connection anywhere.
 */
export function tracingSettings(endpoint: string | undefined, env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (endpoint !== undefined) return { endpoint: otlpBaseUrl(endpoint) };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || exporters.includes('none')) return undefined;
  if (exporters.length > 0 && !exporters.includes('otlp')) {
    throw new Error(`OTEL_TRACES_EXPORTER must be otlp or none: Pontoon exports traces over OTLP/HTTP only, not ${env.OTEL_TRACES_EXPORTER}`);
  }
  if (exporters.includes('otlp') || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return {};
  return undefined;
}

function otlpBaseUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString().replace(/\/+$/, '');
  } catch {
    // fall through to the error below
  }
  throw new Error(`otlpEndpoint must be an http(s) URL such as http://127.0.0.1:4318, not ${text}`);
}

/**
 * Hands out chosen span ids: an attempt's span takes the id derived for it (trace-propagation.ts)
 * rather than a random one. The SDK asks for the id synchronously inside startSpan, so the id
 * set just before that call is the one it gets.
 */
class ChosenIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  chosen: string | undefined;
  generateTraceId = () => this.random.generateTraceId();
  generateSpanId = () => {
    const chosen = this.chosen;
    this.chosen = undefined;
    return chosen ?? this.random.generateSpanId();
  };
}

/**
 * OpenTelemetry traces of this controller: a tracer provider exporting in batches over OTLP/HTTP
 * (JSON, which every collector takes), service `pontoon` unless OTEL_SERVICE_NAME or
 * OTEL_RESOURCE_ATTRIBUTES say otherwise, sampled as OTEL_TRACES_SAMPLER says (default: as the
 * parent, else always). Nothing is registered globally: only Pontoon's own spans go through it.
 */
export class Tracing {
  private readonly ids = new ChosenIdGenerator();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(settings: TracingSettings, logger: Logger) {
    // Export failures (a collector down) are the SDK's diag messages: shown as warnings, never thrown.
    diag.setLogger(
      {
        error: (message, ...args) => logger.warn({ otel: message, args }, 'tracing: the OpenTelemetry SDK reported a problem; spans may be lost'),
        warn: (message, ...args) => logger.warn({ otel: message, args }, 'tracing: the OpenTelemetry SDK reported a problem; spans may be lost'),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const resource = defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'pontoon' }))
      .merge(detectResources({ detectors: [envDetector] }));
    const exporter = new OTLPTraceExporter(settings.endpoint ? { url: `${settings.endpoint}/v1/traces` } : {});
    this.provider = new BasicTracerProvider({ resource, idGenerator: this.ids, spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.provider.getTracer('pontoon');
  }

  /** Starts a span under `parent`; with `spanId`, the span takes that id. */
  startSpan(name: string, options: SpanOptions, parent: Context, spanId?: string): Span {
    this.ids.chosen = spanId;
    try {
      return this.tracer.startSpan(name, options, parent);
    } finally {
      this.ids.chosen = undefined;
    }
  }

  /** Sends the spans ended so far. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /**
   * Sends the spans ended so far and stops exporting, waiting at most `timeoutMs`: a collector that
   * is down (the exporter retries with backoff) must not hold up the controller's stop.
   */
  async shutdown(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.provider.shutdown().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Tracing as the flag and the environment configure it; undefined when off. */
export function startTracing(endpoint: string | undefined, env: NodeJS.ProcessEnv, logger: Logger): Tracing | undefined {
  const settings = tracingSettings(endpoint, env);
  if (!settings) return undefined;
  logger.info({ endpoint: settings.endpoint ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318' }, 'tracing on: spans are exported over OTLP/HTTP');
  return new Tracing(settings, logger);
}

/**
 * A small metrics registry: counters and gauges with labels, rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * @example
 * ```ts
 * const metrics = new Metrics();
 * metrics.counter("tpx_bytes_total", { direction: "in" }).add(512);
 * metrics.gauge("tpx_open_streams").add(1);
 * metrics.render(); // "# HELP tpx_open_streams ...\n# TYPE tpx_open_streams gauge\n..."
 * ```
 *
 * @module
 */
import { TpxError } from "../../../tunnel/protocol/mod.ts";

/** The content type of {@link Metrics.render}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names and values of one series. */
export type Labels = Readonly<Record<string, string>>;

/** What a metric is. */
export type MetricType = "counter" | "gauge";

/** A metric declared up front, with its help text and the series that exist from the start. */
export interface MetricDefinition {
  name: string;
  type: MetricType;
  help: string;
  /** Series shown as 0 before anything is recorded. */
  series?: readonly Labels[];
}

/** The manager's metrics: the state's gauges and the tunnels' traffic. */
export const managerMetricDefinitions: readonly MetricDefinition[] = [
  { name: "tpx_sessions", type: "gauge", help: "Daemon sessions.", series: [{}] },
  { name: "tpx_agents", type: "gauge", help: "Connected traffic-agents.", series: [{}] },
  {
    name: "tpx_intercepts",
    type: "gauge",
    help: "Intercepts by state.",
    series: [{ state: "waiting" }, { state: "active" }, { state: "failed" }],
  },
  {
    name: "tpx_open_streams",
    type: "gauge",
    help: "Streams open through the manager.",
    series: [{}],
  },
  {
    name: "tpx_bytes_total",
    type: "counter",
    help: "Bytes carried through the manager: in (cluster to daemons), out (daemons to cluster).",
    series: [{ direction: "in" }, { direction: "out" }],
  },
];

/** One series of a counter: it only goes up. */
export interface CounterSeries {
  /** @throws {TpxError} for a negative amount */
  add(amount: number): void;
  readonly value: number;
}

/** One series of a gauge. */
export interface GaugeSeries {
  add(amount: number): void;
  set(value: number): void;
  readonly value: number;
}

interface Family {
  type: MetricType;
  help: string | undefined;
  series: Map<string, { labels: Labels; value: number }>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Counters and gauges by name and labels. */
export class Metrics {
  readonly #families = new Map<string, Family>();

  /**
   * @param definitions metrics to declare, with help texts; default: the manager's
   */
  constructor(definitions: readonly MetricDefinition[] = managerMetricDefinitions) {
    for (const definition of definitions) {
      this.#family(definition.name, definition.type).help = definition.help;
      for (const labels of definition.series ?? []) this.#series(definition.name, labels);
    }
  }

  /**
   * A series of a counter, created at 0 on first use.
   *
   * @param name the metric, such as `tpx_bytes_total`
   * @param labels the series' labels
   * @throws {TpxError} when `name` is a gauge or a name is invalid
   */
  counter(name: string, labels: Labels = {}): CounterSeries {
    this.#family(name, "counter");
    const series = this.#series(name, labels);
    return {
      add(amount) {
        if (!(amount >= 0)) {
          throw new TpxError("internal", `Counter "${name}" cannot go down by ${amount}`);
        }
        series.value += amount;
      },
      get value() {
        return series.value;
      },
    };
  }

  /**
   * A series of a gauge, created at 0 on first use.
   *
   * @param name the metric, such as `tpx_open_streams`
   * @param labels the series' labels
   * @throws {TpxError} when `name` is a counter or a name is invalid
   */
  gauge(name: string, labels: Labels = {}): GaugeSeries {
    this.#family(name, "gauge");
    const series = this.#series(name, labels);
    return {
      add(amount) {
        series.value += amount;
      },
      set(value) {
        series.value = value;
      },
      get value() {
        return series.value;
      },
    };
  }

  /**
   * Every metric in the Prometheus text format: `# HELP`, `# TYPE`, then one line per series.
   *
   * @returns the text, ending with a newline
   */
  render(): string {
    const lines: string[] = [];
    for (const [name, family] of this.#families) {
      if (family.help !== undefined) lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${name} ${family.type}`);
      for (const { labels, value } of family.series.values()) {
        lines.push(`${name}${renderLabels(labels)} ${renderValue(value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }

  #family(name: string, type: MetricType): Family {
    const family = this.#families.get(name);
    if (family) {
      if (family.type !== type) {
        throw new TpxError("internal", `Metric "${name}" is a ${family.type}, not a ${type}`);
      }
      return family;
    }
    if (!METRIC_NAME.test(name)) throw new TpxError("internal", `Invalid metric name "${name}"`);
    const created: Family = { type, help: undefined, series: new Map() };
    this.#families.set(name, created);
    return created;
  }

  #series(name: string, labels: Labels): { labels: Labels; value: number } {
    const family = this.#families.get(name)!;
    const sorted = Object.entries(labels).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    const key = JSON.stringify(sorted);
    let series = family.series.get(key);
    if (!series) {
      const bad = sorted.find(([label]) => !LABEL_NAME.test(label) || label.startsWith("__"));
      if (bad) throw new TpxError("internal", `Invalid label name "${bad[0]}" of "${name}"`);
      series = { labels: Object.fromEntries(sorted), value: 0 };
      family.series.set(key, series);
    }
    return series;
  }
}

function renderLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function renderValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

function escapeLabelValue(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

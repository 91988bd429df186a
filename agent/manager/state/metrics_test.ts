import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { Metrics } from "./metrics.ts";

Deno.test("render() writes HELP, TYPE and every series of the manager's metrics from the start", () => {
  assert.equal(
    new Metrics().render(),
    [
      "# HELP tpx_sessions Daemon sessions.",
      "# TYPE tpx_sessions gauge",
      "tpx_sessions 0",
      "# HELP tpx_agents Connected traffic-agents.",
      "# TYPE tpx_agents gauge",
      "tpx_agents 0",
      "# HELP tpx_intercepts Intercepts by state.",
      "# TYPE tpx_intercepts gauge",
      'tpx_intercepts{state="waiting"} 0',
      'tpx_intercepts{state="active"} 0',
      'tpx_intercepts{state="failed"} 0',
      "# HELP tpx_open_streams Streams open through the manager.",
      "# TYPE tpx_open_streams gauge",
      "tpx_open_streams 0",
      "# HELP tpx_bytes_total Bytes carried through the manager: in (cluster to daemons), out (daemons to cluster).",
      "# TYPE tpx_bytes_total counter",
      'tpx_bytes_total{direction="in"} 0',
      'tpx_bytes_total{direction="out"} 0',
      "",
    ].join("\n"),
  );
});

Deno.test("counters and gauges add up per label set", () => {
  const metrics = new Metrics();
  metrics.counter("tpx_bytes_total", { direction: "in" }).add(100);
  metrics.counter("tpx_bytes_total", { direction: "in" }).add(20);
  metrics.counter("tpx_bytes_total", { direction: "out" }).add(7);
  metrics.gauge("tpx_open_streams").add(1);
  metrics.gauge("tpx_open_streams").add(1);
  metrics.gauge("tpx_open_streams").add(-1);
  const text = metrics.render();
  assert.match(text, /^tpx_bytes_total\{direction="in"\} 120$/m);
  assert.match(text, /^tpx_bytes_total\{direction="out"\} 7$/m);
  assert.match(text, /^tpx_open_streams 1$/m);
  assert.equal(metrics.gauge("tpx_open_streams").value, 1);
});

Deno.test("a series is the same whatever the order of its labels", () => {
  const metrics = new Metrics([]);
  metrics.counter("x_total", { b: "2", a: "1" }).add(1);
  metrics.counter("x_total", { a: "1", b: "2" }).add(1);
  assert.equal(metrics.render(), '# TYPE x_total counter\nx_total{a="1",b="2"} 2\n');
});

Deno.test("label values and help texts are escaped", () => {
  const metrics = new Metrics([{ name: "odd", type: "gauge", help: "a\\b\nc" }]);
  metrics.gauge("odd", { path: 'say "hi"\\\n' }).set(1.5);
  assert.equal(
    metrics.render(),
    '# HELP odd a\\\\b\\nc\n# TYPE odd gauge\nodd{path="say \\"hi\\"\\\\\\n"} 1.5\n',
  );
});

Deno.test("a counter refuses to go down, and a name keeps its type", () => {
  const metrics = new Metrics();
  assert.throws(() => metrics.counter("tpx_bytes_total").add(-1), TpxError);
  assert.throws(() => metrics.counter("tpx_open_streams"), /is a gauge, not a counter/);
  assert.throws(() => metrics.gauge("bad name"), /Invalid metric name "bad name"/);
  assert.throws(() => metrics.gauge("ok", { "bad-label": "x" }), /Invalid label name/);
});

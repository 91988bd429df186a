import assert from "node:assert/strict";
import { crashFigure, median, medianFigure } from "./day_figures.ts";

Deno.test("median() picks the middle sample whatever the order", () => {
  assert.equal(median([9, 1, 4]), 4);
  assert.equal(median([5]), 5);
});

Deno.test("median() picks a measured sample for an even count, never an average", () => {
  assert.equal(median([4, 1, 9, 7]), 4);
});

Deno.test("medianFigure() divides the median value by the median baseline", () => {
  const f = medianFigure("intercept_first_ready", "s", [
    { value: 12, baseline: 4 },
    { value: 6, baseline: 5 },
    { value: 9, baseline: 3 },
  ], "kubectl rollout restart");
  assert.equal(f.value, 9);
  assert.equal(f.baseline, 4);
  assert.equal(f.ratio, 2.25);
  assert.deepEqual(f.samples, [12, 6, 9]);
  assert.deepEqual(f.baseline_samples, [4, 5, 3]);
  assert.equal(f.rounds, 3);
  assert.equal(f.baseline_is, "kubectl rollout restart");
});

Deno.test("medianFigure() refuses a figure without samples", () => {
  assert.throws(() => medianFigure("leave_time", "s", [], "x"), /No sample of "leave_time"/);
});

Deno.test("crashFigure() reports the seconds against the lease and against a round trip", () => {
  const f = crashFigure([
    { seconds: 3, requestSeconds: 0.5 },
    { seconds: 6, requestSeconds: 0.25 },
    { seconds: 4, requestSeconds: 1 },
  ], 5_000);
  assert.equal(f.value, 4);
  assert.equal(f.baseline, 5);
  assert.equal(f.ratio, 0.8);
  assert.equal(f.request_round_trip, 0.5);
  assert.equal(f.ratio_to_round_trip, 8);
});

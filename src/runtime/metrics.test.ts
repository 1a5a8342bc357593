import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "./metrics.js";

describe("OperatorMetrics", () => {
  it("exports reconcile, queue, external-call, readiness and time-to-ready metrics", async () => {
    const m = new OperatorMetrics();
    m.controller("widgets").reconciled("error", 0.2);
    m.controller("widgets").reconciled("backoff", 0.2);
    m.controller("widgets").reconciled("done", 0.1);
    const q = m.queue("widgets");
    q.added?.();
    q.depth?.(3);
    q.retried?.();
    m.externalCalls.observe("CreatePipeline", "UNAVAILABLE", 0.05);
    m.reconciler("Widget").externalCall?.("create", "transient", 0.05);
    m.reconciler("Widget").becameReady?.(12);
    m.trackResources("Widget", () => [
      { status: { conditions: [{ type: "Ready", status: "True" }] } },
      { status: { conditions: [{ type: "Ready", status: "False" }] } },
      {},
    ] as never);
    const { body, contentType } = await m.render();
    expect(contentType).toMatch(/text\/plain/);
    for (const line of [
      'k3_reconcile_total{controller="widgets",result="backoff"} 1',
      'k3_reconcile_errors_total{controller="widgets"} 1',
      'k3_workqueue_depth{name="widgets"} 3',
      'k3_workqueue_adds_total{name="widgets"} 1',
      'k3_workqueue_retries_total{name="widgets"} 1',
      'k3_external_requests_total{operation="CreatePipeline",code="UNAVAILABLE"} 1',
      'k3_external_request_duration_seconds_count{operation="CreatePipeline"} 1',
      'k3_managed_operations_total{kind="Widget",operation="create",outcome="transient"} 1',
      'k3_time_to_ready_seconds_count{kind="Widget"} 1',
      'k3_resources{kind="Widget",ready="true"} 1',
      'k3_resources{kind="Widget",ready="false"} 2',
    ]) {
      expect(body).toContain(line);
    }
  });

  it("two instances do not collide (each has its own registry)", () => {
    expect(() => [new OperatorMetrics(), new OperatorMetrics()]).not.toThrow();
  });
});

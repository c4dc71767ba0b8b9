// Compensation as data (the saga sample): an undo step is added after each effect and, on cancel or
// reroute, every step runs newest first. Best effort: a failing undo (after its retry policy gave up)
// is reported and the others still run, so one stuck fulfiller never strands reserved stock.
import { isCancellation } from '@temporalio/workflow';

export interface UndoStep {
  name: string;
  undo: () => Promise<unknown>;
}

export class Compensations {
  private steps: UndoStep[] = [];

  add(name: string, undo: () => Promise<unknown>): void {
    this.steps.unshift({ name, undo });
  }

  has(name: string): boolean {
    return this.steps.some((s) => s.name === name);
  }

  /** Runs every undo step; returns the names of the ones that failed. */
  async runAll(report: {
    done(name: string): void;
    failed(name: string, error: string): Promise<void>;
  }): Promise<string[]> {
    const steps = this.steps;
    this.steps = [];
    const failed: string[] = [];
    for (const step of steps) {
      try {
        await step.undo();
        report.done(step.name);
      } catch (err) {
        if (isCancellation(err)) throw err;
        failed.push(step.name);
        await report.failed(step.name, err instanceof Error ? err.message : String(err));
      }
    }
    return failed;
  }
}

// How people steer a running order (the handler object of the samples' safe-message-handlers):
// supervisor overrides by Update or signal, legal/risk approvals. Each must prove who sent it (a
// signature the codec endpoint, the API or a channel worker made; checked by a recorded activity).
// Every decision is audited; the rules of what is allowed are shared with the API's early answer
// (domain/orders/override-rules).
import { ApplicationFailure, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { overrideRejection } from '../domain/orders/override-rules';
import { inHandler } from './activities';
import {
  type ApprovalRequest,
  approveUpdate,
  type OverrideRequest,
  type OverrideResult,
  overrideActions,
  overrideSignal,
  overrideUpdate,
} from './definitions';
import type { OrderRun } from './order-run';

type Outcome = 'accepted' | 'rejected' | 'pending';
type Verified<R> = { ok: true; request: R; channel: boolean } | { ok: false; why: string };

/** The role a channel worker signs its own cancels with (activities/override-signatures.ts). */
const CHANNEL_ROLE = 'channel';

/**
 * The validator's answer to an Update without a signature (deterministic: presence only; the
 * signature itself is checked by the handler's recorded verdict).
 */
function unsigned(req: unknown, what: string): string | undefined {
  const signature = req && typeof req === 'object' ? (req as { signature?: unknown }).signature : undefined;
  return signature && typeof signature === 'object'
    ? undefined
    : `unsigned ${what}: send it through the API (or the Temporal UI signed in to the codec endpoint)`;
}

export class OrderOverrides {
  /** Nonces of the signed requests (signals and Updates) this order accepted: each signature works once. */
  private readonly signalNonces = new Set<string>();

  constructor(private readonly run: OrderRun) {}

  listen(): void {
    setHandler(
      overrideUpdate,
      async (req) => {
        // Updates prove who sent them (API- or codec-signed); orders recorded before replay as they ran.
        if (!patched('signed-override-updates')) return this.apply(req, 'update');
        const verified = await this.verified(req, 'update', 'override');
        if (!verified.ok) throw ApplicationFailure.nonRetryable(verified.why, 'UnverifiedRequest');
        return this.apply(verified.request, 'update');
      },
      {
        validator: (req) => {
          const rejection = unsigned(req, 'override') ?? overrideRejection(req, this.run.view());
          if (rejection) throw new Error(rejection);
        },
      },
    );
    setHandler(overrideSignal, async (req) => {
      try {
        // Signals prove who sent them (codec-signed); orders recorded before this replay as they ran.
        if (!patched('signed-override-signals')) return void (await this.apply(req, 'signal'));
        const verified = await this.verified(req, 'signal', 'override');
        if (verified.ok) await this.apply(verified.request, 'signal', verified.channel);
      } catch (err) {
        // A bad signal is recorded, never fatal to the order.
        this.run.note('override signal failed', err instanceof Error ? err.message : String(err));
      }
    });
    setHandler(
      approveUpdate,
      async (req) => {
        if (!patched('signed-approvals')) return this.approve(req);
        const verified = await this.verified(req, 'update', 'approval');
        if (!verified.ok) throw ApplicationFailure.nonRetryable(verified.why, 'UnverifiedRequest');
        // The verdict took a moment: another approval of the same role may have landed meanwhile.
        const why = this.approvalRejection(verified.request);
        if (why) throw ApplicationFailure.nonRetryable(why, 'ApprovalRejected');
        return this.approve(verified.request);
      },
      {
        validator: (req) => {
          const why = unsigned(req, 'approval') ?? this.approvalRejection(req);
          if (why) throw new Error(why);
        },
      },
    );
  }

  /**
   * The request with the identity its signature proves, or why not: unsigned, forged, stale, meant
   * for another order, already used, the wrong kind, or signals are off (rejected and audited). The
   * verdict is an activity's, recorded in the history; the clock is the workflow's.
   */
  private async verified<R extends OverrideRequest | ApprovalRequest>(
    req: R,
    via: 'signal' | 'update',
    kind: 'override' | 'approval',
  ): Promise<Verified<R>> {
    const verdict = await inHandler.checkSignedRequest(req, {
      workflowId: workflowInfo().workflowId,
      now: new Date().toISOString(),
      via,
      kind,
    });
    let why = verdict.accepted ? undefined : verdict.reason;
    if (verdict.accepted) {
      if (this.signalNonces.has(verdict.nonce))
        why = `this signed ${kind} was already used (a replayed ${via})`;
      else this.signalNonces.add(verdict.nonce);
    }
    if (verdict.accepted && !why) {
      const {
        signature: _s,
        actorId: _i,
        workflowId: _w,
        source: _c,
        ...fields
      } = req as R & {
        source?: unknown;
      };
      const request = {
        ...fields,
        actor: verdict.actor,
        ...(verdict.actorId ? { actorId: verdict.actorId } : {}),
        role: verdict.role,
      } as R;
      return { ok: true, request, channel: verdict.role === CHANNEL_ROLE };
    }
    const rejected = why ?? 'rejected';
    const claimed = { actor: req?.actor, role: req?.role };
    // A valid signature names the person even when refused; otherwise the claim is only quoted.
    const signer = verdict.accepted ? verdict : verdict.signedBy;
    const o = req as Partial<OverrideRequest>;
    const a = req as Partial<ApprovalRequest>;
    // A forged request's action is anyone's text: kept out of the metric's labels and audit action.
    const action =
      kind === 'override'
        ? overrideActions.includes(o?.action as OverrideRequest['action'])
          ? o.action!
          : 'unknown'
        : a?.decision === 'approve' || a?.decision === 'reject'
          ? a.decision
          : 'unknown';
    this.run.note(
      kind === 'override' ? `override ${o?.action} ${via} rejected` : `approval rejected`,
      `${rejected} (${signer ? `signed by ${signer.actor}` : `claimed ${claimed.actor} as ${claimed.role}`})`,
    );
    if (this.run.state.orderId)
      await inHandler.recordDecision({
        orderId: this.run.state.orderId,
        actor: signer?.actor ?? 'unverified',
        role: signer?.role ?? 'none',
        action: `${kind}:${action}:rejected`,
        before: kind === 'override' ? this.snapshot() : { approvals: this.approvalList() },
        after: { rejected, via, claimed },
        ...(typeof o?.reason === 'string' ? { reason: o.reason } : {}),
        ...(typeof a?.comment === 'string' ? { reason: a.comment } : {}),
        ...(kind === 'override' ? { metric: { action, result: 'rejected' as const } } : {}),
      });
    return { ok: false, why: rejected };
  }

  private approvalList() {
    return this.run.state.approvals.map((a) => `${a.role}:${a.decision}`);
  }

  private snapshot() {
    const { state } = this.run;
    return {
      status: this.run.status(),
      fulfiller: state.route?.fulfiller,
      priority: state.route?.priority,
      held: state.flags.held,
      bypassStock: state.flags.bypassStock,
    };
  }

  private async audit(
    req: OverrideRequest,
    before: unknown,
    outcome: Outcome,
    detail: Record<string, unknown>,
  ) {
    if (!this.run.state.orderId) return;
    await inHandler.recordDecision({
      orderId: this.run.state.orderId,
      actor: req.actor || 'unknown',
      role: req.role ?? 'supervisor',
      action: `override:${req.action}${outcome === 'accepted' ? '' : `:${outcome}`}`,
      before,
      after: outcome === 'rejected' ? detail : { ...this.snapshot(), ...detail },
      reason: req.reason,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      metric: { action: req.action, result: outcome },
    });
  }

  /** `channel`: a cancel a channel worker signed (role `channel`), which the verdict allowed. */
  async apply(req: OverrideRequest, via: 'update' | 'signal', channel = false): Promise<OverrideResult> {
    const { run } = this;
    const { state } = run;
    const before = this.snapshot();
    const by = `(by ${req.actor} via ${via})`;
    const answer = (accepted: boolean, message: string, pending?: boolean): OverrideResult => ({
      action: req.action,
      accepted,
      status: run.status(),
      message,
      ...(pending ? { pending } : {}),
    });
    const reject = async (message: string) => {
      run.note(`override ${req.action} rejected`, `${message} ${by}`);
      await this.audit(req, before, 'rejected', { rejected: message });
      return answer(false, message);
    };
    // A channel's verified cancel passes the role rule: the verdict allowed that role only that action.
    const rejection = overrideRejection(channel ? { ...req, role: 'supervisor' } : req, run.view());
    if (rejection) return reject(rejection);
    let detail: Record<string, unknown> = {};

    switch (req.action) {
      case 'hold':
      case 'release':
        state.flags.held = req.action === 'hold';
        await run.shipments.signalHold(state.flags.held);
        break;
      case 'bypass-stock': {
        const first = state.pendingBypassStock;
        if (run.policy.bypassStockNeedsSecondApproval && !first) {
          state.pendingBypassStock = {
            actor: req.actor,
            ...(req.actorId ? { actorId: req.actorId } : {}),
            reason: req.reason,
            at: new Date().toISOString(),
          };
          const message = 'recorded; takes effect when a second, different supervisor confirms it';
          run.note('override bypass-stock pending', `${req.reason} ${by}; ${message}`);
          await this.audit(req, before, 'pending', { pendingBypassStock: state.pendingBypassStock });
          return answer(true, message, true);
        }
        state.flags.bypassStock = true;
        state.pendingBypassStock = undefined;
        if (first) detail = { confirms: first };
        break;
      }
      case 'expedite':
        state.flags.expedited = true;
        if (state.route) state.route = { ...state.route, priority: 'rush' };
        break;
      case 'reroute': {
        const fulfiller = req.fulfiller!.trim();
        let info: { slaMinutes: number; defaultCarrier: string };
        try {
          info = await inHandler.describeFulfiller(fulfiller);
        } catch {
          return reject(`unknown or inactive fulfiller ${fulfiller}`);
        }
        run.pendingReroute = {
          fulfiller,
          carrier: info.defaultCarrier,
          slaMinutes: info.slaMinutes,
          by: req.actor,
        };
        break;
      }
      case 'retry-routing':
        run.routingRetries++;
        break;
      case 'cancel':
        state.flags.cancelRequested = true;
        state.cancelReason = `cancelled by ${req.actor}: ${req.reason}`;
        run.main.cancel();
        break;
    }
    run.note(`override ${req.action}`, `${req.reason} ${by}`);
    await this.audit(req, before, 'accepted', detail);
    return answer(true, `${req.action} applied`);
  }

  private approvalRejection(req: ApprovalRequest): string | undefined {
    const status = this.run.status();
    if (status !== 'AWAITING_APPROVAL') return `order is not awaiting approval (${status})`;
    if (req.role !== 'legal' && req.role !== 'risk') return 'only legal or risk approve orders';
    if (req.decision !== 'approve' && req.decision !== 'reject') return 'decision is approve or reject';
    if (!req.actor?.trim()) return 'actor is required';
    if (this.run.state.approvals.some((a) => a.role === req.role)) return `${req.role} has already decided`;
    return undefined;
  }

  async approve(req: ApprovalRequest) {
    const { run } = this;
    const { state } = run;
    const list = () => this.approvalList();
    const before = { approvals: list() };
    state.approvals.push({
      role: req.role,
      decision: req.decision,
      actor: req.actor,
      ...(req.actorId ? { actorId: req.actorId } : {}),
      at: new Date().toISOString(),
      ...(req.comment ? { comment: req.comment } : {}),
    });
    run.note(
      `${req.role} ${req.decision === 'approve' ? 'approved' : 'rejected'}`,
      `${req.actor}: ${req.comment ?? ''}`,
    );
    await inHandler.recordDecision({
      orderId: run.orderId(),
      actor: req.actor,
      role: req.role,
      action: `approval:${req.decision}`,
      before,
      after: { approvals: list() },
      ...(req.comment ? { reason: req.comment } : {}),
      ...(req.requestId ? { requestId: req.requestId } : {}),
    });
    if (req.decision === 'reject') {
      state.flags.cancelRequested = true;
      state.cancelReason = `rejected by ${req.role} (${req.actor}): ${req.comment ?? 'no comment'}`;
      run.main.cancel();
    }
    return state.approvals;
  }
}

// The check behind every override and approval that reaches an order: is it signed (by the codec
// endpoint for a person signed in to the Temporal UI, by the API for the caller of its token, or by a
// channel worker for the channel's own cancel), for a role allowed to do it, fresh and meant for this
// order? Run as an activity so the verdict is recorded in the history: a replay never re-checks (keys,
// the clock and OVERRIDE_SIGNALS may have changed since).
import { OVERRIDE_ROLES } from '../domain/orders/override-rules';
import type { KeyRing } from '../platform/crypto/key-ring';
import { verifyOverrideRequest } from '../platform/crypto/override-signing';
import { secretRing } from '../platform/crypto/secrets';
import type { ActivityDeps } from './deps';

/** Allowed future skew of a signature's issue time against the workflow clock. */
const SKEW_MS = 60_000;
/** The system identity a channel worker signs its cancels with: `channel:<name>`, role `channel`. */
export const CHANNEL_ROLE = 'channel';
const APPROVAL_ROLES = ['legal', 'risk'];

export type SignalVerdict =
  | { accepted: true; actor: string; actorId?: string; role: string; nonce: string; issuedAt: string }
  /** `signedBy`: a valid signature refused for its role, age or target: the audit names the person. */
  | { accepted: false; reason: string; signedBy?: { actor: string; actorId?: string; role: string } };

/** Where the signed request arrived and what it asks for. */
export interface SignedRequestContext {
  workflowId: string;
  /** The workflow's time when it handled the request. */
  now: string;
  via: 'signal' | 'update';
  kind: 'override' | 'approval';
}

export function createOverrideSignatureActivities(
  { config }: Pick<ActivityDeps, 'config'>,
  ring: () => KeyRing = secretRing,
) {
  /**
   * The verdict on a signed request. `at.now` is the workflow's time when the request was handled
   * (not this activity's), so a slow activity does not turn a fresh request stale.
   */
  async function checkSignedRequest(request: unknown, at: SignedRequestContext): Promise<SignalVerdict> {
    const check = verifyOverrideRequest(ring(), request);
    const fields = (request ?? {}) as { action?: unknown; workflowId?: unknown };
    // A channel's own cancel of its order: the one signal OVERRIDE_SIGNALS=off still lets through.
    const channelCancel =
      check.ok && check.identity.role === CHANNEL_ROLE && check.purpose === 'override' && at.via === 'signal';
    // Off: overrides only through the console or the API — no signal, nor anything the codec signed
    // (an Update sent from the Temporal UI).
    const fromCodec = check.ok && (request as { source?: unknown }).source === 'codec';
    if (config.OVERRIDE_SIGNALS === 'off' && ((at.via === 'signal' && !channelCancel) || fromCodec))
      return {
        accepted: false,
        reason:
          'overrides by signal or through the codec (Temporal UI, CLI) are turned off (OVERRIDE_SIGNALS=off): use the console or the API',
      };
    if (!check.ok)
      return {
        accepted: false,
        reason:
          check.reason === 'unsigned'
            ? 'unsigned override signal: send it through the codec endpoint (Temporal UI signed in, or the CLI with --codec-endpoint and --codec-auth)'
            : `forged or altered ${at.kind === 'approval' ? 'approval' : `override ${at.via}`} (${check.reason})`,
      };
    const { identity } = check;
    const refuse = (reason: string): SignalVerdict => ({ accepted: false, reason, signedBy: identity });
    if (check.purpose !== at.kind)
      return refuse(
        `signed as ${check.purpose === 'approval' ? 'an approval' : 'an override'}, not ${at.kind === 'approval' ? 'an approval' : 'an override'}`,
      );
    const boundTo = fields.workflowId;
    if (boundTo !== undefined && boundTo !== at.workflowId)
      return refuse(`signed ${at.kind} is for workflow ${String(boundTo)}, not this one`);
    if (channelCancel) {
      // Only the cancel, only for the order it was signed for; no age limit (a worker that was down
      // still cancels), a replay of it is the same cancel of the same order.
      if (fields.action !== 'cancel' || !identity.actor.startsWith('channel:') || boundTo !== at.workflowId)
        return refuse(`${identity.actor} signed as ${CHANNEL_ROLE}, which may only cancel its own order`);
    } else {
      const allowed = at.kind === 'approval' ? APPROVAL_ROLES : OVERRIDE_ROLES;
      if (!allowed.includes(identity.role))
        return refuse(
          at.kind === 'approval'
            ? `${identity.actor} signed as ${identity.role}, which does not approve orders`
            : `${identity.actor} signed as ${identity.role}, which may not override orders`,
        );
      const age = Date.parse(at.now) - Date.parse(check.issuedAt);
      const maxAgeMs = config.OVERRIDE_SIGNAL_MAX_AGE_SECONDS * 1000;
      if (!(age <= maxAgeMs && age >= -SKEW_MS))
        return refuse(
          `signed ${at.kind} is ${age > 0 ? `${Math.round(age / 1000)} s old` : 'from the future'} (valid for ${config.OVERRIDE_SIGNAL_MAX_AGE_SECONDS} s): sign it again`,
        );
    }
    return {
      accepted: true,
      actor: identity.actor,
      ...(identity.actorId ? { actorId: identity.actorId } : {}),
      role: identity.role,
      nonce: check.nonce,
      issuedAt: check.issuedAt,
    };
  }

  return { checkSignedRequest };
}

// The check behind every `override` signal: is it signed by the codec endpoint for a person allowed to
// override, fresh and meant for this order? Run as an activity so the verdict is recorded in the
// history: a replay never re-checks (keys, the clock and OVERRIDE_SIGNALS may have changed since).
import { OVERRIDE_ROLES } from '../domain/orders/override-rules';
import type { KeyRing } from '../platform/crypto/key-ring';
import { verifyOverrideRequest } from '../platform/crypto/override-signing';
import { secretRing } from '../platform/crypto/secrets';
import type { ActivityDeps } from './deps';

/** Allowed future skew of a signature's issue time against the workflow clock. */
const SKEW_MS = 60_000;

export type SignalVerdict =
  | { accepted: true; actor: string; actorId?: string; role: string; nonce: string; issuedAt: string }
  /** `signedBy`: a valid signature refused for its role, age or target: the audit names the person. */
  | { accepted: false; reason: string; signedBy?: { actor: string; actorId?: string; role: string } };

export function createOverrideSignatureActivities(
  { config }: Pick<ActivityDeps, 'config'>,
  ring: () => KeyRing = secretRing,
) {
  return {
    /**
     * The verdict on an override signal. `at.now` is the workflow's time when the signal was handled
     * (not this activity's), so a worker that was down does not turn a fresh signal stale.
     */
    async checkOverrideSignal(
      request: unknown,
      at: { workflowId: string; now: string },
    ): Promise<SignalVerdict> {
      if (config.OVERRIDE_SIGNALS === 'off')
        return {
          accepted: false,
          reason: 'override signals are turned off (OVERRIDE_SIGNALS=off): use the console or the API',
        };
      const check = verifyOverrideRequest(ring(), request);
      if (!check.ok)
        return {
          accepted: false,
          reason:
            check.reason === 'unsigned'
              ? 'unsigned override signal: send it through the codec endpoint (Temporal UI signed in, or the CLI with --codec-endpoint and --codec-auth)'
              : `forged or altered override signal (${check.reason})`,
        };
      const { identity } = check;
      const refuse = (reason: string): SignalVerdict => ({ accepted: false, reason, signedBy: identity });
      if (!OVERRIDE_ROLES.includes(identity.role))
        return refuse(`${identity.actor} signed as ${identity.role}, which may not override orders`);
      const age = Date.parse(at.now) - Date.parse(check.issuedAt);
      const maxAgeMs = config.OVERRIDE_SIGNAL_MAX_AGE_SECONDS * 1000;
      if (!(age <= maxAgeMs && age >= -SKEW_MS))
        return refuse(
          `signed override is ${age > 0 ? `${Math.round(age / 1000)} s old` : 'from the future'} (valid for ${config.OVERRIDE_SIGNAL_MAX_AGE_SECONDS} s): sign it again`,
        );
      const boundTo = (request as { workflowId?: unknown }).workflowId;
      if (boundTo !== undefined && boundTo !== at.workflowId)
        return refuse(`signed override is for workflow ${String(boundTo)}, not this one`);
      return {
        accepted: true,
        actor: identity.actor,
        ...(identity.actorId ? { actorId: identity.actorId } : {}),
        role: identity.role,
        nonce: check.nonce,
        issuedAt: check.issuedAt,
      };
    },
  };
}

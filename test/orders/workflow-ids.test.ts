// Order workflow ids: the scheme is injective over (channel, external id), proven by its inverse over
// tricky and random pairs; the scheme before it was not.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CHANNEL_PATTERN,
  legacyWorkflowIdFor,
  parseWorkflowId,
  workflowIdFor,
} from '../../src/domain/orders/model';

/** Pairs built to collide under naive concatenation: separators inside both halves. */
const tricky: [string, string][] = [
  ['sec', 'x-COL-1'],
  ['sec-x', 'COL-1'],
  ['a', 'b:c'],
  ['a', ':b'],
  ['a', 'b:'],
  ['a-b', 'c'],
  ['a', 'b-c'],
  ['a_b', 'c'],
  ['a', '_b-c'],
  ['order', 'order:a:b'],
  ['a', 'order:a:b'],
  ['x', 'with space / slash %3A'],
  ['x', 'ünï-cødé:✓'],
  ['0', '0'],
  ['a-', '-b'],
  ['a--b', 'c'],
  ['a', '-b--c'],
];

/** Random pairs over a small alphabet rich in separators, so near-collisions are frequent. */
function randomPairs(n: number): [string, string][] {
  const channelChars = 'ab-_0';
  const idChars = 'ab-_:0 ';
  const pick = (chars: string, len: number) =>
    Array.from({ length: len }, () => chars[crypto.randomInt(chars.length)]).join('');
  const pairs: [string, string][] = [];
  while (pairs.length < n) {
    const channel = pick('ab0', 1) + pick(channelChars, crypto.randomInt(0, 5));
    pairs.push([channel, pick(idChars, crypto.randomInt(1, 7))]);
  }
  return pairs;
}

describe('order workflow ids', () => {
  it('decode back to their (channel, external id), so two different orders never share an id', () => {
    const pairs = [...tricky, ...randomPairs(20_000)];
    const owners = new Map<string, string>();
    for (const [channel, externalId] of pairs) {
      assert.ok(CHANNEL_PATTERN.test(channel), channel);
      const id = workflowIdFor(channel, externalId);
      // An inverse exists, hence the scheme is injective.
      assert.deepEqual(parseWorkflowId(id), { channel, externalId });
      const key = JSON.stringify([channel, externalId]);
      const owner = owners.get(id);
      assert.ok(owner === undefined || owner === key, `${id} is both ${owner} and ${key}`);
      owners.set(id, key);
    }
  });

  it("gives the issue's repro two ids, where the old scheme gave one", () => {
    assert.notEqual(workflowIdFor('sec', 'x-COL-1'), workflowIdFor('sec-x', 'COL-1'));
    assert.equal(legacyWorkflowIdFor('sec', 'x-COL-1'), legacyWorkflowIdFor('sec-x', 'COL-1'));
  });

  it('stays readable in the Temporal UI and never equals an id of the old scheme', () => {
    assert.equal(workflowIdFor('shopify', '1001'), 'order:shopify:1001');
    for (const [channel, externalId] of tricky)
      assert.ok(!workflowIdFor(channel, externalId).startsWith('order-'));
  });

  it('parses no string that is not one of its ids', () => {
    for (const s of ['order-web-A1', 'order:web', 'order::x', 'order:Web:x', 'order:a:', 'x'])
      assert.equal(parseWorkflowId(s), undefined, s);
  });
});

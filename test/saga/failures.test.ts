import { EventStoreError } from '../../src/eventstore';
import { DomainError } from '../../src/eventstore/decider';
import { ProviderError } from '../../src/providers';
import { classify, isDatabaseUnavailable } from '../../src/saga/failures';

describe('which failures compensate at once and which are retried', () => {
  test('a broken rule, a provider refusal and a stream id the store refuses are final', () => {
    expect(classify(new DomainError('INSUFFICIENT_STOCK', 'no stock'))).toEqual({ code: 'INSUFFICIENT_STOCK', message: 'no stock', transient: false });
    expect(classify(new ProviderError('payment', 'CARD_DECLINED', 'declined', { transient: false })).transient).toBe(false);
    expect(classify(new EventStoreError('INVALID_STREAM_ID', 'stream id "inventory-a b" must look like <category>-<id>')).transient).toBe(false);
  });

  test('anything else is retried first, also after a replay stripped the class', () => {
    expect(classify(new ProviderError('carrier', 'GATEWAY_TIMEOUT', 'slow', { transient: true })).transient).toBe(true);
    expect(classify(new TypeError('x is undefined'))).toMatchObject({ code: 'UNEXPECTED_ERROR', transient: true });
    expect(classify(JSON.parse(JSON.stringify({ code: 'INVALID_STREAM_ID', message: 'bad' }))).transient).toBe(false);
  });

  test('our database being unreachable is told apart from a failure of the step', () => {
    for (const err of [{ code: 'ECONNREFUSED' }, { code: '57P01' }, { code: '08006' }, new Error('Connection terminated unexpectedly')]) {
      expect(isDatabaseUnavailable(err)).toBe(true);
    }
    for (const err of [{ code: '23505' }, new Error('card declined'), undefined]) expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

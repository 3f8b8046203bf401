import {
  isBusinessProviderError,
  isProviderError,
  isTransientProviderError,
  ProviderError,
} from '../../src/providers';

describe('provider error guards', () => {
  const business = new ProviderError('payment', 'CARD_DECLINED', 'declined', { transient: false });
  const transient = new ProviderError('carrier', 'GATEWAY_TIMEOUT', 'slow', { transient: true });

  test('classify live errors by their transient flag', () => {
    expect(isBusinessProviderError(business)).toBe(true);
    expect(isTransientProviderError(business)).toBe(false);
    expect(isTransientProviderError(transient)).toBe(true);
    expect(isBusinessProviderError(transient)).toBe(false);
    expect(business).toMatchObject({ name: 'ProviderError', code: 'CARD_DECLINED', provider: 'payment' });
  });

  test('work on errors replayed without their class (as DBOS replays a step error)', () => {
    const replayed = Object.assign(new Error('declined'), JSON.parse(JSON.stringify(business)));
    expect(replayed).not.toBeInstanceOf(ProviderError);
    expect(isBusinessProviderError(replayed)).toBe(true);
    expect(isBusinessProviderError({ name: 'ProviderError', code: 'X', transient: false })).toBe(true);
    expect(isTransientProviderError({ name: 'ProviderError', code: 'X', transient: true })).toBe(true);
  });

  test('reject anything that is not a provider error', () => {
    for (const other of [undefined, null, 'CARD_DECLINED', new Error('x'), { code: 'X', transient: true }]) {
      expect(isProviderError(other)).toBe(false);
      expect(isTransientProviderError(other)).toBe(false);
      expect(isBusinessProviderError(other)).toBe(false);
    }
  });
});

import { randomBytes } from 'node:crypto';
import { FORGOTTEN, openWith, revealWith, sealWith, Sealed, subjectsIn, UNREADABLE } from '../../src/privacy/sealed';

const key = randomBytes(32);
const address = { name: 'Ada', city: 'Berlin' };

test('a sealed value opens with its key and says whose it is, without the clear text in it', () => {
  const sealed = sealWith(key, 'cust-1', address);
  expect(Sealed.parse(sealed)).toEqual(sealed);
  expect(sealed.subject).toBe('cust-1');
  expect(JSON.stringify(sealed)).not.toContain('Ada');
  expect(openWith(key, sealed)).toEqual(address);
  // A fresh IV each time: equal values do not look equal.
  expect(sealWith(key, 'cust-1', address).data).not.toBe(sealed.data);
});

test('another key, another subject or a changed byte does not open', () => {
  const sealed = sealWith(key, 'cust-1', address);
  expect(() => openWith(randomBytes(32), sealed)).toThrow();
  expect(() => openWith(key, { ...sealed, subject: 'cust-2' })).toThrow();
  const bytes = Buffer.from(sealed.data, 'base64');
  bytes[0] ^= 1;
  expect(() => openWith(key, { ...sealed, data: bytes.toString('base64') })).toThrow();
});

test('revealing opens what a key is given for, marks the rest forgotten or unreadable, and keeps everything else', () => {
  const other = randomBytes(32);
  const doc = {
    at: new Date(0),
    mine: sealWith(key, 'cust-1', address),
    list: [sealWith(other, 'cust-2', 'x'), 3, null],
    damaged: { ...sealWith(key, 'cust-1', 'y'), iv: randomBytes(12).toString('base64') },
  };
  expect(subjectsIn(doc)).toEqual(new Set(['cust-1', 'cust-2']));
  expect(revealWith(doc, new Map([['cust-1', key]]))).toEqual({ at: new Date(0), mine: address, list: [FORGOTTEN, 3, null], damaged: UNREADABLE });
});

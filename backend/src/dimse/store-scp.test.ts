import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { errorComment, guardPduLength } from './store-scp.js';

describe('errorComment (0000,0902): LO in the default repertoire', () => {
  it('keeps short ASCII messages as they are', () => {
    expect(errorComment('Required attribute SOPClassUID (0008,0016) is missing')).toBe('Required attribute SOPClassUID (0008,0016) is missing');
  });

  it('cuts at 64 characters', () => {
    const c = errorComment('x'.repeat(100));
    expect(c).toHaveLength(64);
    expect(c.endsWith('...')).toBe(true);
  });

  it('replaces what LO cannot hold: non-ASCII, backslash, control characters', () => {
    expect(errorComment('64×64 Äneas\\nested\ttab')).toBe('64x64 Aneas?nested?tab');
  });
});

describe('guardPduLength', () => {
  const pdu = (length: number, body = length) => {
    const b = Buffer.alloc(6 + body);
    b[0] = 0x04;
    b.writeUInt32BE(length, 2);
    return b;
  };

  it('follows PDUs across arbitrary chunk boundaries and reports the first one over the limit', () => {
    const socket = new EventEmitter() as unknown as Socket;
    const seen: number[] = [];
    guardPduLength(socket, 1000, (length) => seen.push(length));
    const stream = Buffer.concat([pdu(10), pdu(1000), pdu(0), pdu(999), pdu(0xffffffff, 10)]);
    for (let i = 0; i < stream.length; i += 7) socket.emit('data', stream.subarray(i, i + 7));
    expect(seen).toEqual([0xffffffff]);
  });

  it('stays quiet while every PDU is within the limit', () => {
    const socket = new EventEmitter() as unknown as Socket;
    const seen: number[] = [];
    guardPduLength(socket, 1000, (length) => seen.push(length));
    socket.emit('data', Buffer.concat([pdu(1000), pdu(1), pdu(500)]));
    expect(seen).toEqual([]);
  });
});

import { isEngineUnreachable } from './docker-exec';

const socketError = (code: string, syscall = 'connect') =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall });

describe('isEngineUnreachable', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])('is true for %s', (code) => {
    expect(isEngineUnreachable(socketError(code))).toBe(true);
  });

  it('is true for a missing local socket, and for an error caused by one of these', () => {
    expect(isEngineUnreachable(socketError('ENOENT'))).toBe(true);
    expect(isEngineUnreachable(new Error('exec failed', { cause: socketError('ECONNREFUSED') }))).toBe(true);
  });

  it('is false when the engine answered, or for a missing file that is not the socket', () => {
    expect(isEngineUnreachable(Object.assign(new Error('no such container'), { statusCode: 404 }))).toBe(false);
    expect(isEngineUnreachable(Object.assign(new Error('server error'), { statusCode: 500 }))).toBe(false);
    expect(isEngineUnreachable(socketError('ENOENT', 'spawn nsenter'))).toBe(false);
    expect(isEngineUnreachable(new Error('revert left our qdiscs behind'))).toBe(false);
    expect(isEngineUnreachable(undefined)).toBe(false);
  });
});

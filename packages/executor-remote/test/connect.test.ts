/** connectExecutor's choices, and the built executor's location. */
import { connectExecutor, parseHostPort, resolveSecret } from '../src/index.js';

describe('connectExecutor', () => {
  it('needs exactly one of path and connect', async () => {
    await expect(connectExecutor({})).rejects.toThrow('no executor to start or connect to');
    await expect(connectExecutor({ path: '/bin/true', connect: 'localhost:1' })).rejects.toThrow('not both');
  });

  it('reports an executor that cannot be started as one error', async () => {
    await expect(connectExecutor({ path: '/nonexistent/jitlink-executor', setupTimeoutMs: 10_000 })).rejects.toThrow(
      /executor \/nonexistent\/jitlink-executor closed the connection \(spawn \/nonexistent\/jitlink-executor ENOENT\) during setup/,
    );
  });

  it('reports a refused TCP connection', async () => {
    await expect(connectExecutor({ connect: '127.0.0.1:1' })).rejects.toThrow(/cannot connect to executor at 127.0.0.1:1: connect ECONNREFUSED/);
  });

  it('parses host:port, IPv6 in brackets, and refuses the rest', () => {
    expect(parseHostPort('localhost:2000')).toEqual({ host: 'localhost', port: 2000 });
    expect(parseHostPort('[::1]:2000')).toEqual({ host: '::1', port: 2000 });
    expect(parseHostPort(':2000')).toEqual({ host: 'localhost', port: 2000 });
    expect(() => parseHostPort('localhost')).toThrow('"localhost" is not <host>:<port>');
    expect(() => parseHostPort('h:70000')).toThrow('not <host>:<port>');
  });

  it('takes the secret from the option, then the environment', () => {
    expect(new TextDecoder().decode(resolveSecret({ secret: 'a' }, { JITLINK_EXECUTOR_SECRET: 'b' }))).toBe('a');
    expect(new TextDecoder().decode(resolveSecret({}, { JITLINK_EXECUTOR_SECRET: 'b' }))).toBe('b');
    expect(resolveSecret({}, {})).toBeUndefined();
    expect(() => resolveSecret({}, { JITLINK_EXECUTOR_SECRET_FILE: '/nonexistent/secret' })).toThrow(/cannot read the secret file/);
  });
});

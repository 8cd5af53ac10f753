import { pino, type DestinationStream } from 'pino';

/** The most log output a slow stdout may hold back: past it, lines are dropped (and counted). */
export const LOG_BUFFER_BYTES = 1024 * 1024;

/** The longest shutdown waits for buffered log lines to go out before it gives up on them. */
export const LOG_FLUSH_TIMEOUT_MS = 500;

/** Where `serve` logs: stdout, without ever blocking the event loop or the exit on it. */
export interface StdoutLog {
  /** pino's destination. */
  readonly stream: DestinationStream;
  /** Lines dropped so far: past the buffer (a slow reader), or once the reader was gone or the log closed. */
  dropped(): number;
  /** Writes out what is buffered, waiting `timeoutMs` at most; the rest is dropped. Resolves, never rejects. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Log lines on stdout that never wait for their reader. Writes are asynchronous (sonic-boom) and
 * buffered up to `bufferBytes`; a line that would pass it is dropped and counted (a reader that
 * cannot keep up costs log lines, never the event loop). A write error (EPIPE: the reader of the
 * pipe is gone) stops the writing: no crash, and every later line counts as dropped.
 */
export function stdoutLog(bufferBytes = LOG_BUFFER_BYTES): StdoutLog {
  let dropped = 0;
  /** Lines go to the stream; false once it failed or was closed. */
  let writing = true;
  /** Set once waiting on the reader is over: a full pipe (EAGAIN) is then an error, not a retry. */
  let givenUp = false;
  // `process.stdout.fd` rather than 1 on purpose: creating process.stdout on a pipe or a socket
  // has libuv make the descriptor non-blocking. A full pipe then answers EAGAIN, which sonic-boom
  // retries later while new lines fill the buffer and then drop; on a blocking descriptor each
  // write would park a thread-pool thread in write(2) for as long as nobody reads, and
  // process.exit waits for that thread.
  const sonic = pino.destination({
    dest: process.stdout.fd,
    sync: false,
    minLength: 0,
    maxLength: bufferBytes,
    retryEAGAIN: () => !givenUp,
  });
  // Done with the stream. Destroyed, it is also one that pino's exit hook leaves alone: that hook
  // flushes synchronously and, on a pipe nobody reads, would retry for ever.
  const finish = (): void => {
    writing = false;
    givenUp = true;
    process.off('exit', atExit);
    sonic.destroy();
  };
  // At exit (after a close that timed out, or a crash): one synchronous attempt at what is still
  // buffered, which a full pipe cuts short at once (EAGAIN, no longer retried). Before pino's hook.
  const atExit = (): void => {
    givenUp = true;
    try {
      sonic.flushSync();
    } catch {
      // The reader is not reading: the rest is dropped.
    }
    finish();
  };
  process.prependListener('exit', atExit);
  sonic.on('drop', () => {
    dropped += 1;
  });
  // pino's own listener makes the stream inert on EPIPE and re-throws anything else: this one
  // keeps any write error from crashing the process, and stops the writing.
  sonic.on('error', finish);
  sonic.on('close', finish);
  return {
    stream: {
      write(line: string): void {
        if (writing) sonic.write(line);
        else dropped += 1;
      },
    },
    dropped: () => dropped,
    close(timeoutMs: number): Promise<void> {
      if (!writing) return Promise.resolve();
      writing = false;
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          sonic.off('close', done);
          sonic.off('error', done);
          resolve();
        };
        // Past the bound, the reader is waited on no more: a full pipe now fails the write in
        // flight, which ends the stream, and what it still holds is dropped. (Destroying it here,
        // with a write in flight, would leave sonic-boom spinning on empty writes.)
        const timer = setTimeout(() => {
          givenUp = true;
          done();
        }, timeoutMs);
        sonic.once('close', done);
        sonic.once('error', done);
        try {
          sonic.end();
        } catch {
          done();
        }
      });
    },
  };
}

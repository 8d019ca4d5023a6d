/**
 * `p`'s outcome, or `timedOut` after `ms`, whichever comes first. The timer is cancelled when `p`
 * settles: a bare `sleep` raced against `p` keeps the process alive until it fires, which made
 * every run linger for seconds after teardown.
 */
export async function within<T, U>(p: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), ms);
  });
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

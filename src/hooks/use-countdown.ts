import { useEffect, useState } from 'react';

function secondsUntil(target: number | null): number | null {
  return target === null ? null : Math.max(0, Math.ceil((target - Date.now()) / 1000));
}

/**
 * Whole seconds left until `target` (ms since epoch), re-rendering once per second boundary
 * rather than on a fixed interval, so the number never skips or lingers. `null` when no target.
 */
export function useCountdown(target: number | null): number | null {
  const [seconds, setSeconds] = useState(() => secondsUntil(target));
  useEffect(() => {
    setSeconds(secondsUntil(target));
    if (target === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const left = secondsUntil(target);
      setSeconds(left);
      if (left === null || left <= 0) return;
      // Wake exactly at the next whole-second boundary of the remaining time (timers never fire early).
      const untilBoundary = ((target - Date.now()) % 1000) || 1000;
      timer = setTimeout(tick, untilBoundary);
    };
    tick();
    return () => clearTimeout(timer);
  }, [target]);
  return seconds;
}

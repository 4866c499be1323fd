/**
 * Progress of a training run: a bar with ETA and the latest losses on a terminal (cli-progress),
 * one plain line per log otherwise.
 * @since 0.1.0
 */
import cliProgress from 'cli-progress'

import type { Progress } from '../run/train.ts'

const short = (losses: Readonly<Record<string, number>>, max: number): string =>
  Object.entries(losses)
    .filter(([k]) => !k.includes('/'))
    .slice(0, max)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join('  ')

export const progressFor = (stream: NodeJS.WriteStream, log: (line: string) => void): Progress => {
  if (stream.isTTY !== true) {
    return {
      start: () => undefined,
      update: (step, losses) =>
        log(
          `step ${String(step).padStart(6)}  ${Object.entries(losses)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join('  ')}`
        ),
      stop: () => undefined
    }
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} | ETA {eta_formatted} | {losses}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      stream
    },
    cliProgress.Presets.shades_classic
  )
  let running = false
  return {
    start: (total, done) => {
      bar.start(total, done, { losses: '' })
      running = true
    },
    update: (step, losses) => bar.update(step, { losses: short(losses, 4) }),
    stop: () => {
      if (running) bar.stop()
      running = false
    }
  }
}

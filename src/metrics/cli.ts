/**
 * `loss-algebra classifier`: trains (or finds in the cache) the evaluation classifier and prints its
 * test accuracy, where its weights are, and how long training took.
 * @since 0.1.0
 */
import type { Command } from 'commander'
import { Option } from 'commander'

export const registerClassifier = (program: Command): void => {
  program
    .command('classifier')
    .description(
      'train the evaluation classifier (MNIST CNN) behind the image metrics, or find it in the cache; print its test accuracy'
    )
    .addOption(
      new Option('--data <set>', 'the digits it classifies').choices(['mnist', 'fashionMnist']).default('mnist')
    )
    .option('--retrain', 'ignore the cached weights and train again')
    .option('--backend <name>', 'tfjs backend (default: the fastest available)')
    .option('--json', 'print one JSON line')
    .action(async (o: { data: 'mnist' | 'fashionMnist'; retrain?: boolean; backend?: string; json?: boolean }) => {
      const { selectBackend } = await import('../backend/index.ts')
      const { ensureClassifier, measureAccuracy } = await import('./classifier.ts')
      const backend = await selectBackend(o.backend)
      const c = await ensureClassifier({ source: o.data, retrain: o.retrain === true, log: (l) => console.error(l) })
      const accuracy = measureAccuracy(c)
      const r = {
        data: o.data,
        accuracy,
        file: c.file,
        trained: c.trained,
        trainSeconds: +c.trainSeconds.toFixed(1),
        backend: backend.name
      }
      console.log(
        o.json === true
          ? JSON.stringify(r)
          : `evaluation classifier (${o.data}): test accuracy ${(100 * accuracy).toFixed(2)} %, ${c.trained ? 'trained now' : 'from the cache'} (training took ${r.trainSeconds} s), ${c.file}`
      )
    })
}

/**
 * Mutation check of the semantic suites: changes the interpreter one formula at a time (a constant,
 * a sign, the sets a term reads, a reduction, a schedule, a penalty's shape, `stop`, the game's
 * stepping) and runs the semantic, closed-form and game suites against each change on cpu. Every
 * mutation must make some test fail.
 *
 * Destructive: run it only in a separate git worktree of the project, never in the one others test in.
 *
 *   tsx test/reference/mutate.ts <worktree> [--only <substring> | --from <number>]
 *
 * Prints a markdown table: mutation → the tests that caught it (or MISSED / STALE when the code to
 * mutate is no longer there).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Mutation {
  readonly file: string
  /** Occurs exactly once in `file`. */
  readonly find: string
  readonly replace: string
  readonly what: string
}

const T = 'src/compile/term.ts'

export const MUTATIONS: ReadonlyArray<Mutation> = [
  // expressions
  {
    file: T,
    what: 'gaussian: exp(logVar) instead of exp(logVar / 2)',
    find: 'tf.exp(tf.mul(logVar, 0.5))',
    replace: 'tf.exp(logVar)'
  },
  {
    file: T,
    what: 'gaussian: mean − σε (sign)',
    find: 'return tf.add(mean, tf.mul(tf.exp(',
    replace: 'return tf.sub(mean, tf.mul(tf.exp('
  },
  {
    file: T,
    what: 'gaussian: a stopped node draws other noise than the live one',
    find: 'eps:${X.key(X.unstop(e))}',
    replace: 'eps:${X.key(e)}'
  },
  { file: T, what: 'gaussian: one noise for every node', find: 'eps:${X.key(X.unstop(e))}', replace: 'eps' },
  {
    file: T,
    what: 'gaussian: ε ~ U(0, 1)',
    find: "this.env.draw(`eps:${X.key(X.unstop(e))}`, 'normal', mean.shape)",
    replace: "this.env.draw(`eps:${X.key(X.unstop(e))}`, 'uniform', mean.shape)"
  },
  {
    file: 'src/core/Expr.ts',
    what: 'key: stop(e) shares e’s key (the memo hands out the stopped value)',
    find: 'Stop: (e) => `stop(${key(e.expr)})`',
    replace: 'Stop: (e) => key(e.expr)'
  },
  {
    file: T,
    what: 'pair: (z, x) instead of (x, z)',
    find: 'tf.concat([tf.reshape(x, [x.shape[0], -1]), tf.reshape(z, [z.shape[0], -1])], 1)',
    replace: 'tf.concat([tf.reshape(z, [z.shape[0], -1]), tf.reshape(x, [x.shape[0], -1])], 1)'
  },
  {
    file: T,
    what: 'stop: passes the gradient',
    find: 'return stopGradient(this.expr(e.expr))',
    replace: 'return this.expr(e.expr)'
  },
  {
    file: 'src/compile/gradients.ts',
    what: 'stopGradient: lets dy through',
    find: 'gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy)',
    replace: 'gradFunc: (dy: tf.Tensor) => tf.clone(dy)'
  },
  {
    file: T,
    what: 'chunk: reads the mirrored part',
    find: '(i === t.rank - 1 ? e.index * part : 0)',
    replace: '(i === t.rank - 1 ? (e.count - 1 - e.index) * part : 0)'
  },
  // reductions
  {
    file: T,
    what: 'perExample: mean over features instead of their sum',
    find: 't.rank <= 1 ? mean(t) : mean(tf.sum(t, Array.from',
    replace: 't.rank <= 1 ? mean(t) : mean(tf.mean(t, Array.from'
  },
  {
    file: T,
    what: "reduction: 'mean' and 'sum' swapped",
    find: "(r === 'mean' ? mean(t) : perExample(t))",
    replace: "(r === 'mean' ? perExample(t) : mean(t))"
  },
  // reconstructions
  {
    file: T,
    what: 'l1: relu(t − o) instead of |t − o|',
    find: 'reduce(tf.abs(tf.sub(target, output)), t.reduction)',
    replace: 'reduce(tf.relu(tf.sub(target, output)), t.reduction)'
  },
  {
    file: T,
    what: 'l2: ½‖t − o‖²',
    find: 'reduce(tf.square(tf.sub(target, output)), t.reduction)',
    replace: 'reduce(tf.mul(0.5, tf.square(tf.sub(target, output))), t.reduction)'
  },
  {
    file: T,
    what: 'bernoulli: o·(1 − t) instead of o·t',
    find: 'tf.sub(tf.relu(output), tf.mul(output, target))',
    replace: 'tf.sub(tf.relu(output), tf.mul(output, tf.sub(1, target)))'
  },
  {
    file: T,
    what: 'bernoulli: softplus(−o) instead of softplus(−|o|)',
    find: 'tf.softplus(tf.neg(tf.abs(output)))',
    replace: 'tf.softplus(tf.neg(output))'
  },
  // critics' losses
  {
    file: T,
    what: 'densityRatio: E[D] instead of E[a]',
    find: 'DensityRatio: (t) => mean(ev.logits(t.critic, t.sample))',
    replace: 'DensityRatio: (t) => mean(tf.sigmoid(ev.logits(t.critic, t.sample)))'
  },
  {
    file: T,
    what: 'latentKL: +E[a] (sign)',
    find: 'LatentKL: (t) => tf.neg(mean(ev.logits(t.critic, t.code)))',
    replace: 'LatentKL: (t) => mean(ev.logits(t.critic, t.code))'
  },
  {
    file: T,
    what: 'gaussianKL: −1 instead of −½',
    find: 'tf.mul(-0.5, perExample(',
    replace: 'tf.mul(-1, perExample('
  },
  {
    file: T,
    what: 'gaussianKL: e^{logVar/2} instead of e^{logVar}',
    find: 'tf.square(m)), tf.exp(lv))',
    replace: 'tf.square(m)), tf.exp(tf.mul(lv, 0.5)))'
  },
  { file: T, what: 'gaussianKL: μ instead of μ²', find: 'tf.square(m)), tf.exp(lv))', replace: 'm), tf.exp(lv))' },
  {
    file: T,
    what: 'classify bce: softplus(a) on real (sign)',
    find: 'bce: { real: (a) => mean(tf.softplus(tf.neg(a)))',
    replace: 'bce: { real: (a) => mean(tf.softplus(a))'
  },
  {
    file: T,
    what: 'classify hinge: margin 2 on real',
    find: 'real: (a) => mean(tf.relu(tf.sub(1, a)))',
    replace: 'real: (a) => mean(tf.relu(tf.sub(2, a)))'
  },
  {
    file: T,
    what: 'classify hinge: relu(1 − a) on fake (sign)',
    find: 'fake: (a) => mean(tf.relu(tf.add(1, a)))',
    replace: 'fake: (a) => mean(tf.relu(tf.sub(1, a)))'
  },
  {
    file: T,
    what: 'classify leastSquares: no ½ on real',
    find: 'real: (a) => tf.mul(0.5, mean(tf.square(tf.sub(a, 1))))',
    replace: 'real: (a) => mean(tf.square(tf.sub(a, 1)))'
  },
  {
    file: T,
    what: 'classify leastSquares: target −1 on real',
    find: 'tf.square(tf.sub(a, 1))',
    replace: 'tf.square(tf.add(a, 1))'
  },
  {
    file: T,
    what: 'classify wasserstein: +E a(real) (sign)',
    find: 'wasserstein: { real: (a) => tf.neg(mean(a))',
    replace: 'wasserstein: { real: (a) => mean(a)'
  },
  {
    file: T,
    what: 'classify: reads only the first fake set',
    find: 'return t.fake.reduce<tf.Scalar>(',
    replace: 'return t.fake.slice(0, 1).reduce<tf.Scalar>('
  },
  {
    file: T,
    what: 'classify: real logits from the first fake set',
    find: 'f.real(ev.logits(t.critic, t.real))',
    replace: 'f.real(ev.logits(t.critic, t.fake[0]))'
  },
  {
    file: T,
    what: 'nonSaturating: softplus(a) (sign)',
    find: 'NonSaturating: (t) => mean(tf.softplus(tf.neg(ev.logits(t.critic, t.sample))))',
    replace: 'NonSaturating: (t) => mean(tf.softplus(ev.logits(t.critic, t.sample)))'
  },
  {
    file: T,
    what: 'minimax: −E log(1 − D) (sign)',
    find: 'Minimax: (t) => tf.neg(mean(tf.softplus(ev.logits(t.critic, t.sample))))',
    replace: 'Minimax: (t) => mean(tf.softplus(ev.logits(t.critic, t.sample)))'
  },
  {
    file: T,
    what: 'critic: +E[a] (sign)',
    find: 'Critic: (t) => tf.neg(mean(ev.logits(t.critic, t.sample)))',
    replace: 'Critic: (t) => mean(ev.logits(t.critic, t.sample))'
  },
  // penalties
  {
    file: T,
    what: 'gradientPenalty: x̃ mixes real with itself',
    find: 'tf.mul(tf.sub(1, eps), fake)',
    replace: 'tf.mul(tf.sub(1, eps), real)'
  },
  {
    file: T,
    what: 'gradientPenalty: (‖∇‖ − ½)²',
    find: 'mean(tf.square(tf.sub(norms, 1)))',
    replace: 'mean(tf.square(tf.sub(norms, 0.5)))'
  },
  {
    file: T,
    what: 'gradientPenalty: one-sided max(0, ‖∇‖ − 1)²',
    find: 'mean(tf.square(tf.sub(norms, 1)))',
    replace: 'mean(tf.square(tf.relu(tf.sub(norms, 1))))'
  },
  {
    file: T,
    what: 'gradientPenalty: squared norm instead of norm',
    find: 'const norms = tf.sqrt(tf.add(squaredNorms(',
    replace: 'const norms = tf.identity(tf.add(squaredNorms('
  },
  {
    file: T,
    what: 'draws: uniform noise ~ U(0, ½)',
    find: "tf.randomUniform(s, 0, 1, 'float32', seed)",
    replace: "tf.randomUniform(s, 0, 0.5, 'float32', seed)"
  },
  {
    file: T,
    what: 'gradientPenalty: one ε for the whole batch',
    find: 'const epsShape = [real.shape[0], ',
    replace: 'const epsShape = [1, '
  },
  {
    file: T,
    what: 'gradientPenalty: no second-order path through x̃',
    find: 'squaredNorms(inputGradient(ev, t.critic, mixed))',
    replace: 'squaredNorms(inputGradient(ev, t.critic, stopGradient(mixed)))'
  },
  {
    file: T,
    what: 'r1: norm instead of squared norm',
    find: 'R1: (t) => mean(squaredNorms(inputGradient(ev, t.critic, ev.expr(t.real))))',
    replace: 'R1: (t) => mean(tf.sqrt(squaredNorms(inputGradient(ev, t.critic, ev.expr(t.real)))))'
  },
  {
    file: T,
    what: 'r1: no second-order path (gradient stopped)',
    find: 'R1: (t) => mean(squaredNorms(inputGradient(ev, t.critic, ev.expr(t.real))))',
    replace: 'R1: (t) => mean(squaredNorms(stopGradient(inputGradient(ev, t.critic, ev.expr(t.real)))))'
  },
  // combinators
  {
    file: T,
    what: 'sum: a − b',
    find: 't.terms.map(go).reduce((a, b) => tf.add(a, b))',
    replace: 't.terms.map(go).reduce((a, b) => tf.sub(a, b))'
  },
  {
    file: T,
    what: 'scale: |k|',
    find: 'Scale: (t) => tf.mul(go(t.term), t.k)',
    replace: 'Scale: (t) => tf.mul(go(t.term), Math.abs(t.k))'
  },
  {
    file: T,
    what: 'named: records |value|',
    find: 'ev.env.record(`${ev.player}/${t.label}`, v)',
    replace: 'ev.env.record(`${ev.player}/${t.label}`, tf.abs(v))'
  },
  {
    file: T,
    what: 'named: a repeated label keeps the last value',
    find: 'this.named.set(label, tf.keep(tf.add(prev, kept)))',
    replace: 'this.named.set(label, tf.keep(tf.clone(kept)))'
  },
  {
    file: T,
    what: 'weighted: the weight of the next step',
    find: 'S.at(t.schedule, ev.env.step)',
    replace: 'S.at(t.schedule, ev.env.step + 1)'
  },
  // schedules
  {
    file: 'src/core/Schedule.ts',
    what: 'piecewise: step ≤ boundary',
    find: 's.boundaries.findIndex((b) => step < b)',
    replace: 's.boundaries.findIndex((b) => step <= b)'
  },
  {
    file: 'src/core/Schedule.ts',
    what: 'piecewise: the first value after the last boundary',
    find: 's.values[i === -1 ? s.values.length - 1 : i]',
    replace: 's.values[i === -1 ? 0 : i]'
  },
  {
    file: 'src/core/Schedule.ts',
    what: 'linear: one step ahead',
    find: '(step - s.start)) / (s.end - s.start)',
    replace: '(step + 1 - s.start)) / (s.end - s.start)'
  },
  // games
  {
    file: 'src/core/Game.ts',
    what: 'every: steps on i mod every = 0',
    find: '(i + 1) % p.every === 0',
    replace: 'i % p.every === 0'
  },
  {
    file: 'src/compile/step.ts',
    what: 'step: the environment reads the next iteration',
    find: 'new StepEnv(nets, batch, prior, i, drawSeed(seed, i)',
    replace: 'new StepEnv(nets, batch, prior, i + 1, drawSeed(seed, i)'
  },
  {
    file: T,
    what: 'draws: normal noise (the prior, ε) ~ N(0, 2²)',
    find: "tf.randomNormal(s, 0, 1, 'float32', seed)",
    replace: "tf.randomNormal(s, 0, 2, 'float32', seed)"
  },
  {
    file: 'src/compile/step.ts',
    what: 'step: the noise of step 0 at every step',
    find: 'new StepEnv(nets, batch, prior, i, drawSeed(seed, i)',
    replace: 'new StepEnv(nets, batch, prior, i, drawSeed(seed, 0)'
  },
  {
    file: 'src/compile/step.ts',
    what: 'step: later players reuse the first player’s forward pass',
    find: 'evaluate(player.loss, new Evaluation(env, player.name))',
    replace: 'evaluate(player.loss, ((env as unknown as { ev?: Evaluation }).ev ??= new Evaluation(env, player.name)))'
  },
  {
    file: 'src/compile/optim.ts',
    what: 'adam: no bias correction of the first moment',
    find: '/ (1 - beta1 ** t)',
    replace: '/ 1'
  },
  {
    file: 'src/compile/optim.ts',
    what: 'sgd: twice the rate',
    find: 'tf.train.sgd(learningRate)',
    replace: 'tf.train.sgd(2 * learningRate)'
  }
]

const SUITES = ['test/semantics.test.ts', 'test/closed-forms.test.ts', 'test/game-semantics.test.ts']

/** The names of the failing tests (not suites) in a spec reporter's output. */
const failures = (out: string): Array<string> => {
  const lines = out.split('\n')
  const suites = new Set(lines.map((l) => /^\s*▶ (.*)$/.exec(l)?.[1]).filter((n) => n !== undefined))
  const names = lines
    .map((l) => /^\s*✖ (.*?)(?: \(\d+(?:\.\d+)?ms\))?$/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && !suites.has(n) && n !== 'failing tests:')
  return [...new Set(names)]
}

const main = (): void => {
  const [root, ...rest] = process.argv.slice(2)
  if (root === undefined) {
    console.error('usage: tsx test/reference/mutate.ts <worktree> [--only <substring> | --from <number>]')
    process.exit(2)
  }
  const only = rest[0] === '--only' ? rest[1] : undefined
  const from = rest[0] === '--from' ? Number(rest[1]) : 1
  const rows: Array<string> = ['| # | mutation | file | caught by |', '|---|---|---|---|']
  let caught = 0
  let total = 0
  MUTATIONS.forEach((m, k) => {
    if ((only !== undefined && !m.what.includes(only)) || k + 1 < from) return
    const path = join(root, m.file)
    const original = readFileSync(path, 'utf8')
    const count = original.split(m.find).length - 1
    if (count !== 1) {
      rows.push(`| ${k + 1} | ${m.what} | ${m.file} | STALE (found ${count}×) |`)
      return
    }
    total++
    writeFileSync(path, original.replace(m.find, m.replace))
    const t0 = Date.now()
    try {
      const r = spawnSync('node', ['--import', 'tsx', '--test', '--test-reporter=spec', ...SUITES], {
        cwd: root,
        env: { ...process.env, LOSS_ALGEBRA_TEST_BACKENDS: 'cpu' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024
      })
      const failed = failures(`${r.stdout}\n${r.stderr}`)
      if (r.status !== 0) caught++
      const by =
        r.status === 0
          ? '**MISSED**'
          : failed.slice(0, 4).join('; ') + (failed.length > 4 ? `; … (${failed.length} in all)` : '')
      rows.push(`| ${k + 1} | ${m.what} | ${m.file} | ${by} |`)
      console.error(
        `${k + 1}/${MUTATIONS.length} ${m.what}: ${r.status === 0 ? 'MISSED' : 'caught'} (${((Date.now() - t0) / 1000).toFixed(0)} s)`
      )
    } finally {
      writeFileSync(path, original)
    }
  })
  console.log(rows.join('\n'))
  console.log(`\ncaught ${caught} of ${total} mutations`)
}

main()

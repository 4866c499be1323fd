/**
 * A canonical, injective string for a term: structure, not meaning (use `Eq` for meaning).
 * @since 0.1.0
 */
import * as X from '../Expr.ts'
import * as S from '../Schedule.ts'
import type { Loss } from './model.ts'
import { match } from './model.ts'

const exprs = (...es: ReadonlyArray<X.Expr>): string => es.map(X.key).join(';')
const net = (name: string): string => JSON.stringify(name)

/** A canonical, injective string for a term (structure, not meaning: use `Eq` for meaning). @category utils */
export const key: (t: Loss) => string = match<string>({
  Zero: () => '0',
  Reconstruction: (t) => `rec.${t.norm}.${t.reduction}(${exprs(t.target, t.output)})`,
  DensityRatio: (t) => `dr[${net(t.critic)}](${exprs(t.sample)})`,
  LatentKL: (t) => `lkl[${net(t.critic)}](${exprs(t.code)})`,
  GaussianKL: (t) => `gkl(${exprs(t.mean, t.logVar)})`,
  Classify: (t) => `cls.${t.variant}[${net(t.critic)}](${exprs(t.real)}|${exprs(...t.fake)})`,
  NonSaturating: (t) => `ns[${net(t.critic)}](${exprs(t.sample)})`,
  Minimax: (t) => `mm[${net(t.critic)}](${exprs(t.sample)})`,
  Critic: (t) => `cr[${net(t.critic)}](${exprs(t.sample)})`,
  GradientPenalty: (t) => `gp[${net(t.critic)}](${exprs(t.real, t.fake)})`,
  R1: (t) => `r1[${net(t.critic)}](${exprs(t.real)})`,
  Sum: (t) => `+(${t.terms.map(key).join(',')})`,
  Scale: (t) => `*(${Object.is(t.k, -0) ? '-0' : t.k},${key(t.term)})`,
  Named: (t) => `@(${JSON.stringify(t.label)},${key(t.term)})`,
  Weighted: (t) => `w(${S.key(t.schedule)},${key(t.term)})`
})

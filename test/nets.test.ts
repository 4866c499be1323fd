import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'

import { convArch } from '../src/nets/archs.ts'
import { convNet, disposeAll, referenceNets, Z_DIM } from '../src/nets/index.ts'

const count = (vars: ReadonlyArray<tf.Variable>): number => vars.reduce((n, v) => n + v.size, 0)

describe('image nets', () => {
  for (const channels of [1, 3]) {
    for (const arch of ['mlp', 'conv'] as const) {
      it(`reference ${arch} nets on 28×28×${channels}: shapes and a gradient to every variable of D`, () => {
        const before = tf.memory().numTensors
        const nets = referenceNets(arch, { channels, seed: 2 })
        const x = tf.randomUniform([3, 28, 28, channels], -1, 1, 'float32', 1)
        const z = tf.randomNormal([3, Z_DIM], 0, 1, 'float32', 2)
        const out = tf.tidy(() => ({ e: nets.E.apply(x).shape, g: nets.G.apply(z).shape, d: nets.D.apply(x).shape }))
        assert.deepEqual(out, { e: [3, Z_DIM], g: [3, 28, 28, channels], d: [3, 1] })
        const grads = tf.tidy(
          () => tf.variableGrads(() => tf.mean(nets.D.apply(nets.G.apply(z))) as tf.Scalar, [...nets.D.variables]).grads
        )
        assert.equal(Object.keys(grads).length, nets.D.variables.length)
        assert.ok(Object.values(grads).every((g) => tf.tidy(() => tf.any(tf.notEqual(g, 0)).dataSync()[0] === 1)))
        tf.dispose([x, z, grads])
        disposeAll(nets)
        assert.equal(tf.memory().numTensors, before)
      })
    }
  }

  it('the conv arch counts its parameters exactly, reading and writing images, for 1, 2 and 3 layers', async () => {
    for (const channels of [[16], [32, 64], [8, 16, 32]]) {
      for (const [input, output] of [
        [[28, 28, 3], [7]],
        [[5], [32, 32, 1]]
      ] as const) {
        if (channels.length === 3 && input[0] === 28) continue // 28 is not divisible by 8
        const spec = { arch: 'conv', channels, input, output }
        const net = await convArch.build(spec, input, output, 1, 'n')
        assert.equal(convArch.parameters(spec, input, output), count(net.variables), `${channels} ${input} → ${output}`)
        net.dispose()
      }
    }
  })

  it('refuses what a conv net cannot do, saying why', () => {
    assert.throws(() => convNet([32], [1], { name: 'J' }), /J: a conv net reads or writes an image/)
    assert.throws(
      () => convNet([28, 28, 1], [1], { channels: [8, 16, 32], name: 'D' }),
      /3 stride-2 layers need height and width divisible by 8, the image is 28×28/
    )
  })
})

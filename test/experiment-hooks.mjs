// A module hook for tests: any import of @tensorflow/* fails, so a command that loads tfjs fails.
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@tensorflow/')) throw new Error('tfjs was loaded: ' + specifier + ' from ' + context.parentURL)
  return next(specifier, context)
}`)
)

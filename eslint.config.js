import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'native/build/**', 'runs/**', 'dist/**', 'scratch/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/array-type': ['error', { default: 'generic' }]
    }
  },
  {
    // The algebra is pure data: no tensors may enter src/core (DESIGN §1).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@tensorflow/*'], message: 'src/core is pure data: tensors belong in src/compile.' }]
      }]
    }
  }
)

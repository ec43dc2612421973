import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The one ESLint configuration every buildfleet package is linted with. */
export default tseslint.config(
  { ignores: ['**/dist/**', '**/dist-bench/**', '**/node_modules/**', '**/coverage/**', '**/test-output/**', '**/.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
  },
  {
    files: ['**/test/**', '**/bench/**', '**/bin/**'],
    rules: { 'no-console': 'off' },
  },
);

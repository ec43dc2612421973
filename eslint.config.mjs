export { default } from '@buildfleet/eslint-config';

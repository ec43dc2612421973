export { stopTemplateServer as default } from '@buildfleet/testdb';

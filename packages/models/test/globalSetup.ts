import { prepareTemplate } from '@buildfleet/testdb';
import { migrateUp } from '../src/migrator';

export default () => prepareTemplate({ name: 'models', migrate: (url) => migrateUp(url).then(() => undefined) });

import { migrateUp } from '@buildfleet/models';
import { prepareTemplate } from '@buildfleet/testdb';

export default () => prepareTemplate({ name: 'cli', migrate: (url) => migrateUp(url).then(() => undefined) });

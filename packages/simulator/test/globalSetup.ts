import { migrateUp } from '@buildfleet/models';
import { prepareTemplate } from '@buildfleet/testdb';

export default () => prepareTemplate({ name: 'simulator', migrate: (url) => migrateUp(url).then(() => undefined) });

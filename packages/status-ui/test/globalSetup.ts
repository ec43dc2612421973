import { migrateUp } from '@buildfleet/models';
import { prepareTemplate } from '@buildfleet/testdb';

export default () => prepareTemplate({ name: 'status-ui', migrate: (url) => migrateUp(url).then(() => undefined) });

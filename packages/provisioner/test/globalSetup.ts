import { migrateUp } from '@buildfleet/models';
import { prepareTemplate } from '@buildfleet/testdb';

export default () => prepareTemplate({ name: 'provisioner', migrate: (url) => migrateUp(url).then(() => undefined) });

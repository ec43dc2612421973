import { startMoto } from '@buildfleet/moto';
import { DEBIAN_AMIS } from './debianAmis';

/**
 * moto with MOTO_AMIS_PATH: moto's own AMI list has no official Debian AMIs, and the aws runner
 * looks those up by owner and name. A MOTO_ENDPOINT given instead must know DEBIAN_AMIS.
 */
export default () => {
  const amisPath = `/tmp/buildfleet-image-builder-amis-${process.pid}.json`;
  return startMoto({
    env: { MOTO_AMIS_PATH: amisPath, MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION: 'true' },
    files: { [amisPath]: JSON.stringify(DEBIAN_AMIS) },
  });
};

import { startMoto } from '@buildfleet/moto';

/** moto, rejecting unknown AMIs, instance types and key pairs as EC2 does. */
export default () =>
  startMoto({
    env: {
      MOTO_ENABLE_AMI_VALIDATION: 'true',
      MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION: 'true',
      MOTO_ENABLE_KEYPAIR_VALIDATION: 'true',
    },
  });

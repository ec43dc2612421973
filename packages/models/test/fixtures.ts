/** Inputs with sensible defaults; each test overrides what it is about. */

export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET0001';
export const ACCESS_KEY_ID = 'AKIASECRETACCESSKEY01';
export const HETZNER_TOKEN = 'hcloud-secret-token-0123456789abcdef';

export function awsAccountData(overrides: Record<string, unknown> = {}) {
  return {
    name: 'aws-main',
    provider_type: 'aws',
    configuration: { region_name: 'eu-west-1' },
    credentials: { access_key_id: ACCESS_KEY_ID, secret_access_key: SECRET_ACCESS_KEY },
    ...overrides,
  };
}

export function hetznerAccountData(overrides: Record<string, unknown> = {}) {
  return { name: 'hetzner-main', provider_type: 'hetzner', credentials: { api_token: HETZNER_TOKEN }, ...overrides };
}

export function awsLaunchTemplate(overrides: Record<string, unknown> = {}) {
  return { ImageId: 'ami-0123456789abcdef0', InstanceType: 'm6a.large', ...overrides };
}

export function awsSpecification(overrides: Record<string, unknown> = {}) {
  return { provider_type: 'aws', launch_templates: [awsLaunchTemplate()], ...overrides };
}

export function hetznerSpecification(overrides: Record<string, unknown> = {}) {
  return { provider_type: 'hetzner', server_type: 'cx32', image_name: 'debian-13', ...overrides };
}

import { type Database, getProviderAccount, readProviderCredentials, ValidationError } from '@buildfleet/models';
import type { AwsAccess } from './runners/aws';
import type { HetznerAccess } from './runners/hetzner';
import type { ImageAccount } from './runners/images';

/**
 * The provider account `name` as runner access for `target`: region and endpoint from its
 * configuration, credentials through `readProviderCredentials` (never shown anywhere).
 */
export async function resolveImageAccount(db: Database, name: string, target: 'aws'): Promise<AwsAccess & { target: 'aws' }>;
export async function resolveImageAccount(db: Database, name: string, target: 'hetzner'): Promise<HetznerAccess & { target: 'hetzner' }>;
export async function resolveImageAccount(db: Database, name: string, target: 'aws' | 'hetzner'): Promise<ImageAccount>;
export async function resolveImageAccount(db: Database, name: string, target: 'aws' | 'hetzner'): Promise<ImageAccount> {
  const account = await getProviderAccount(db, name);
  if (account.providerType !== target) {
    throw ValidationError.single('image account', 'account', `"${name}" is a ${account.providerType} account; give a ${target} account for --target ${target}`);
  }
  const row = await db.models.ProviderAccount.findOne({ where: { name }, attributes: ['id'] });
  const configuration = account.configuration as { region_name?: string; ec2_endpoint_url?: string; api_url?: string };
  if (target === 'aws') {
    if (!configuration.region_name) {
      throw ValidationError.single('image account', 'account', `"${name}" has no configuration.region_name; set the region with \`buildfleet account create\``);
    }
    const credentials = await readProviderCredentials(db, String(row!.id), 'aws');
    return { target, region: configuration.region_name, ...(configuration.ec2_endpoint_url ? { endpoint: configuration.ec2_endpoint_url } : {}), credentials };
  }
  const credentials = await readProviderCredentials(db, String(row!.id), 'hetzner');
  return { target, token: credentials.api_token, ...(configuration.api_url ? { apiUrl: configuration.api_url } : {}) };
}

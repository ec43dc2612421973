/**
 * Hetzner Cloud server types (shared and dedicated vCPU lines, 2025), as published by
 * Hetzner: cores, memory in GB, local disk in GB, architecture. Unknown types give no sizes.
 * cx22–cx52 and cpx11 are deprecated (end of 2025) in favour of cx23–cx53; both are listed so
 * existing pools keep their sizes.
 */
export const HETZNER_SERVER_TYPES: Record<
  string,
  { cores: number; memoryGb: number; diskGb: number; architecture: 'amd64' | 'arm64' }
> = {
  cx22: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'amd64' },
  cx32: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  cx42: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  cx52: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'amd64' },
  cx23: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'amd64' },
  cx33: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  cx43: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  cx53: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'amd64' },
  cpx11: { cores: 2, memoryGb: 2, diskGb: 40, architecture: 'amd64' },
  cpx21: { cores: 3, memoryGb: 4, diskGb: 80, architecture: 'amd64' },
  cpx31: { cores: 4, memoryGb: 8, diskGb: 160, architecture: 'amd64' },
  cpx41: { cores: 8, memoryGb: 16, diskGb: 240, architecture: 'amd64' },
  cpx51: { cores: 16, memoryGb: 32, diskGb: 360, architecture: 'amd64' },
  cax11: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'arm64' },
  cax21: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'arm64' },
  cax31: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'arm64' },
  cax41: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'arm64' },
  ccx13: { cores: 2, memoryGb: 8, diskGb: 80, architecture: 'amd64' },
  ccx23: { cores: 4, memoryGb: 16, diskGb: 160, architecture: 'amd64' },
  ccx33: { cores: 8, memoryGb: 32, diskGb: 240, architecture: 'amd64' },
  ccx43: { cores: 16, memoryGb: 64, diskGb: 360, architecture: 'amd64' },
  ccx53: { cores: 32, memoryGb: 128, diskGb: 600, architecture: 'amd64' },
  ccx63: { cores: 48, memoryGb: 192, diskGb: 960, architecture: 'amd64' },
};

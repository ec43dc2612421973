/** Official-looking Debian AMIs (owner 136693071363) that moto serves in every region, newest trixie amd64 first. */
export const NEWEST_TRIXIE_AMD64 = 'ami-0deb13a2026110100';

const ami = (ami_id: string, name: string, architecture: string, creation_date: string) => ({
  ami_id,
  name,
  architecture,
  creation_date,
  owner_id: '136693071363',
  state: 'available',
  public: true,
  image_location: `136693071363/${name}`,
  root_device_type: 'ebs',
  root_device_name: '/dev/xvda',
  description: `Debian ${name}`,
  image_type: 'machine',
  virtualization_type: 'hvm',
  hypervisor: 'xen',
  sriov: 'simple',
});

export const DEBIAN_AMIS = [
  ami('ami-0deb13a2026090100', 'debian-13-amd64-20260901-2220', 'x86_64', '2026-09-01T22:30:00.000Z'),
  ami(NEWEST_TRIXIE_AMD64, 'debian-13-amd64-20261101-2345', 'x86_64', '2026-11-01T23:55:00.000Z'),
  ami('ami-0deb13b2026110100', 'debian-13-arm64-20261101-2345', 'arm64', '2026-11-02T00:05:00.000Z'),
  ami('ami-0deb12a2026110100', 'debian-12-amd64-20261101-2345', 'x86_64', '2026-11-03T00:00:00.000Z'),
  // Same name pattern, another owner: must never be picked.
  { ...ami('ami-0bad13a2026120100', 'debian-13-amd64-20261201-0000', 'x86_64', '2026-12-01T00:00:00.000Z'), owner_id: '111122223333' },
];

// QEMU runs this for each guest connection to the forwarded address (guestfwd=…-cmd:):
// stdin/stdout are the guest's side, argv[2] the port of buildfleet's API on 127.0.0.1.
const net = require('node:net');

const socket = net.connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(1));

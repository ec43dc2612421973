export { stopMoto as default } from '@buildfleet/moto';

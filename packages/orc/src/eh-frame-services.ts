/** Names of the executor services that register DWARF unwind sections with the host's unwinder (every platform uses them). */
export const REGISTER_EH_FRAME = 'registerEHFrame';
export const DEREGISTER_EH_FRAME = 'deregisterEHFrame';

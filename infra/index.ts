// The Pulumi program (see the Pulumi issue): placeholder until it is written.
export {};

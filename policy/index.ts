// Policy pack entry (PulumiPolicy.yaml): `pulumi up --policy-pack policy`.
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies.ts";

new PolicyPack("bollalabz-db", { policies: POLICIES });

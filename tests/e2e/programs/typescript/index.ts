// Test program: one stack output, computed through the Pulumi SDK from npm.
import * as pulumi from "@pulumi/pulumi";

const words: string[] = ["hello", "from", "typescript"]; // a type annotation: Node.js alone would not run this
export const message = pulumi.interpolate`${words.join(" ")} on ${pulumi.getStack()}`;

package model

// Node is the schema's Node interface: whatever node(id:) answers. It has
// no methods, so that the domain types bound to the schema's objects
// (gatehouse.Customer, gatehouse.User, …) need none; the generated code
// tells the types apart by a type switch.
type Node any

//! The decisions of ZooKeeper's coordination recipes, as pure functions of what a client saw:
//! its own node and the children of the recipe's node. The client library (and, later, the
//! recipe actors the checker explores) call these and nothing else decides.

pub mod lock;

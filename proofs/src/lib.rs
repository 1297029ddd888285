//! Model checks of Zabkeeper's protocol core.

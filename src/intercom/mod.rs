//! Talking to Intercom. For now: the admin list, imported from a saved `GET /admins` response
//! so agent → admin matching works offline.

pub mod admins;

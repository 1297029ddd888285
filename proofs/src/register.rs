//! The reference object client histories are checked against: one znode written with setData
//! and read with getData. A write returns the znode's new version; a read returns the value and
//! version it saw. The version is what makes write order observable, so a lost or reordered
//! write shows up as an impossible history.

use crate::client::Value;
use stateright::semantics::SequentialSpec;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionedRegister {
    pub value: Option<Value>,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOperation {
    Write(Value),
    Read,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterReturn {
    WriteOk { version: u64 },
    ReadOk { value: Option<Value>, version: u64 },
}

impl SequentialSpec for VersionedRegister {
    type Op = RegisterOperation;
    type Ret = RegisterReturn;

    fn invoke(&mut self, operation: &RegisterOperation) -> RegisterReturn {
        match operation {
            RegisterOperation::Write(value) => {
                self.value = Some(*value);
                self.version += 1;
                RegisterReturn::WriteOk {
                    version: self.version,
                }
            }
            RegisterOperation::Read => RegisterReturn::ReadOk {
                value: self.value,
                version: self.version,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_writes() {
        let mut register = VersionedRegister::default();
        assert_eq!(
            register.invoke(&RegisterOperation::Write(7)),
            RegisterReturn::WriteOk { version: 1 }
        );
        assert_eq!(
            register.invoke(&RegisterOperation::Read),
            RegisterReturn::ReadOk {
                value: Some(7),
                version: 1
            }
        );
    }
}

//! The four-letter words and `4lw.commands.whitelist`, which decides which of them the server
//! answers. ZooKeeper's rules: the list is comma-separated, blanks around words are ignored,
//! `*` anywhere enables every word, and `srvr` is always enabled because `zkServer.sh status`
//! depends on it. When the key is absent only `srvr` is enabled.

use std::collections::BTreeSet;
use std::fmt;

/// Every four-letter word ZooKeeper 3.8 and 3.9 know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FourLetterWord {
    Conf,
    Cons,
    Crst,
    Dirs,
    Dump,
    Envi,
    Gtmk,
    Hash,
    Isro,
    Mntr,
    Ruok,
    Srst,
    Srvr,
    Stat,
    Stmk,
    Wchc,
    Wchp,
    Wchs,
}

impl FourLetterWord {
    pub const ALL: [FourLetterWord; 18] = [
        Self::Conf,
        Self::Cons,
        Self::Crst,
        Self::Dirs,
        Self::Dump,
        Self::Envi,
        Self::Gtmk,
        Self::Hash,
        Self::Isro,
        Self::Mntr,
        Self::Ruok,
        Self::Srst,
        Self::Srvr,
        Self::Stat,
        Self::Stmk,
        Self::Wchc,
        Self::Wchp,
        Self::Wchs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conf => "conf",
            Self::Cons => "cons",
            Self::Crst => "crst",
            Self::Dirs => "dirs",
            Self::Dump => "dump",
            Self::Envi => "envi",
            Self::Gtmk => "gtmk",
            Self::Hash => "hash",
            Self::Isro => "isro",
            Self::Mntr => "mntr",
            Self::Ruok => "ruok",
            Self::Srst => "srst",
            Self::Srvr => "srvr",
            Self::Stat => "stat",
            Self::Stmk => "stmk",
            Self::Wchc => "wchc",
            Self::Wchp => "wchp",
            Self::Wchs => "wchs",
        }
    }

    /// The word for these four bytes, exactly as sent (ZooKeeper matches case-sensitively).
    pub fn from_word(word: &str) -> Option<FourLetterWord> {
        Self::ALL.into_iter().find(|known| known.as_str() == word)
    }
}

impl fmt::Display for FourLetterWord {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The words the server answers; any other is refused with ZooKeeper's "is not executed
/// because it is not in the whitelist".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FourLetterWordWhitelist {
    enabled: BTreeSet<FourLetterWord>,
}

impl FourLetterWordWhitelist {
    pub fn every_word() -> Self {
        Self {
            enabled: FourLetterWord::ALL.into_iter().collect(),
        }
    }

    pub fn contains(&self, word: FourLetterWord) -> bool {
        self.enabled.contains(&word)
    }

    pub fn words(&self) -> impl Iterator<Item = FourLetterWord> + '_ {
        self.enabled.iter().copied()
    }

    /// Parses the key's value; `Err` carries the first word that is not a four-letter word.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut whitelist = Self::default();
        let mut every_word = false;
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            if item == "*" {
                every_word = true;
                continue;
            }
            let word = FourLetterWord::from_word(item).ok_or_else(|| item.to_owned())?;
            whitelist.enabled.insert(word);
        }
        Ok(if every_word {
            Self::every_word()
        } else {
            whitelist
        })
    }
}

impl Default for FourLetterWordWhitelist {
    /// ZooKeeper's default: `srvr` alone.
    fn default() -> Self {
        Self {
            enabled: BTreeSet::from([FourLetterWord::Srvr]),
        }
    }
}

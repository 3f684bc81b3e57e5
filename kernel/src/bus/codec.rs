//! How a message and its reply cross to another node: JSON, encoded and decoded by the codec
//! registered with the message's handler. Every node declares every service's codecs, whether
//! or not it runs the service, so it can send to any of them.

use std::any::Any;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::message::{Message, Payload};

type EncodeFn = Arc<dyn Fn(&dyn Any) -> Result<Value, ErrorCode> + Send + Sync>;
type DecodeFn = Arc<dyn Fn(Value) -> Result<Payload, ErrorCode> + Send + Sync>;

#[derive(Clone)]
pub struct Codec {
    encode_message: EncodeFn,
    decode_message: DecodeFn,
    encode_reply: EncodeFn,
    decode_reply: DecodeFn,
}

fn encoder<T: Serialize + 'static>(what: &'static str) -> EncodeFn {
    Arc::new(move |any: &dyn Any| {
        let value = any
            .downcast_ref::<T>()
            .ok_or_else(|| ApiError::Internal(format!("{what} has the wrong type")))?;
        serde_json::to_value(value)
            .map_err(|e| ApiError::Internal(format!("cannot encode {what}: {e}")).into())
    })
}

fn decoder<T: DeserializeOwned + Send + 'static>(what: &'static str) -> DecodeFn {
    Arc::new(move |value: Value| {
        serde_json::from_value::<T>(value)
            .map(|v| Box::new(v) as Payload)
            .map_err(|e| ApiError::InvalidArgument(format!("cannot decode {what}: {e}")).into())
    })
}

impl Codec {
    /// The serde codec of `M` and its reply.
    pub fn of<M>() -> Self
    where
        M: Message + Serialize + DeserializeOwned,
        M::Reply: Serialize + DeserializeOwned,
    {
        Codec {
            encode_message: encoder::<M>(M::NAME),
            decode_message: decoder::<M>(M::NAME),
            encode_reply: encoder::<M::Reply>(M::NAME),
            decode_reply: decoder::<M::Reply>(M::NAME),
        }
    }

    /// The serde codec of `M`, with the reply decoded by `decode_reply` (for replies that need
    /// more than their JSON to be rebuilt).
    pub fn with_reply_decoder<M>(
        decode_reply: impl Fn(Value) -> Result<M::Reply, ErrorCode> + Send + Sync + 'static,
    ) -> Self
    where
        M: Message + Serialize + DeserializeOwned,
        M::Reply: Serialize,
    {
        Codec {
            encode_message: encoder::<M>(M::NAME),
            decode_message: decoder::<M>(M::NAME),
            encode_reply: encoder::<M::Reply>(M::NAME),
            decode_reply: Arc::new(move |value| {
                decode_reply(value).map(|r| Box::new(r) as Payload)
            }),
        }
    }

    pub fn encode_message(&self, msg: &dyn Any) -> Result<Value, ErrorCode> {
        (self.encode_message)(msg)
    }

    pub fn decode_message(&self, value: Value) -> Result<Payload, ErrorCode> {
        (self.decode_message)(value)
    }

    pub fn encode_reply(&self, reply: &dyn Any) -> Result<Value, ErrorCode> {
        (self.encode_reply)(reply)
    }

    pub fn decode_reply(&self, value: Value) -> Result<Payload, ErrorCode> {
        (self.decode_reply)(value)
    }
}
